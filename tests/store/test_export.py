"""Export to Markdown and JSON, import of our own JSON, and the history commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from poe_tui.commands.history import export_conversation, history_table, import_conversation
from poe_tui.commands.output import CommandError
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.store import BadExportFile, SqliteStore
from poe_tui.store.export import FORMAT, from_json, to_json, to_markdown

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "c.db") as opened:
        yield opened


def sample() -> Conversation:
    conversation = Conversation(bot="bot-b", title='Birds: a "quick" chat', titled=True)
    conversation.id = "1234abcd" + "0" * 24
    conversation.created_at, conversation.updated_at = T0, T0 + 3600
    conversation.messages = [
        Message(role="user", text="What is a kiwi?", bot="bot-a", created_at=T0),
        Message(
            role="assistant",
            text="A **bird**.",
            bot="bot-a",
            created_at=T0 + 1,
            finished_at=T0 + 3,
            thinking="fruit or bird?",
            completion_tokens=1234,
            points=40,
            suggested_replies=["And a fruit?"],
        ),
        Message(role="user", text="Say more", bot="bot-b", created_at=T0 + 60),
        Message(
            role="assistant",
            text="It is flightless",
            bot="bot-b",
            status=MessageStatus.STOPPED,
            created_at=T0 + 61,
            points=2,
        ),
    ]
    for index, message in enumerate(conversation.messages):
        message.id = f"m{index}"
    return conversation


def test_markdown_front_matter_and_body() -> None:
    text = to_markdown(sample())
    front, body = text.split("\n---\n", 1)
    assert front.splitlines() == [
        "---",
        'title: "Birds: a \\"quick\\" chat"',
        f"id: {'1234abcd' + '0' * 24}",
        'bots: ["bot-a", "bot-b"]',
        "created: 2023-11-14T22:13:20Z",
        "updated: 2023-11-14T23:13:20Z",
        "points: 42",
        "messages: 4",
    ]
    assert "## You\n_2023-11-14 22:13:20 UTC_\n\nWhat is a kiwi?" in body
    assert "## bot-a\n_2023-11-14 22:13:21 UTC · 1,234 tokens · 40 points_" in body
    assert "<details><summary>Thinking</summary>\n\nfruit or bird?" in body
    assert "_2023-11-14 22:14:21 UTC · 2 points · stopped_\n\nIt is flightless" in body


def test_json_round_trip() -> None:
    original = sample()
    text = to_json(original)
    assert json.loads(text)["format"] == FORMAT
    assert from_json(text) == original


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("format"), 'no "format" field'),
        (lambda d: d.update(format="poe-tui/9"), "Unsupported format 'poe-tui/9'"),
        (lambda d: d.pop("id"), "id: missing"),
        (lambda d: d["messages"][1].update(role="system"), "messages[1].role"),
        (
            lambda d: d["messages"][0].update(created_at="yesterday"),
            "created_at: expected a number",
        ),
        (
            lambda d: d["messages"][1].update(points="many"),
            "points: expected a whole number or null",
        ),
        (lambda d: d["messages"][1].update(status="odd"), "status: expected one of"),
        (lambda d: d["messages"][2].update(id=d["messages"][0]["id"]), "appears twice"),
        (lambda d: d.update(messages={}), "messages: expected a list"),
    ],
)
def test_from_json_says_what_is_wrong(mutate: object, expected: str) -> None:
    data = json.loads(to_json(sample()))
    mutate(data)  # type: ignore[operator]
    with pytest.raises(BadExportFile) as caught:
        from_json(json.dumps(data))
    assert expected in str(caught.value)


def test_from_json_not_json() -> None:
    with pytest.raises(BadExportFile, match=r"Not JSON \(line 1"):
        from_json("{nope")


def test_from_json_ignores_unknown_keys() -> None:
    data = json.loads(to_json(sample()))
    data["future"] = 1
    data["messages"][0]["future"] = 2
    assert from_json(json.dumps(data)) == sample()


def test_history_table_lists_and_searches(store: SqliteStore) -> None:
    assert history_table(store) == "No conversations yet."
    conversation = sample()
    store.save(conversation)
    listing = history_table(store)
    assert listing.splitlines()[0].split() == [
        "ID",
        "Title",
        "Bot",
        "Last",
        "activity",
        "Points",
        "Messages",
    ]
    assert "1234abcd" in listing and "Birds" in listing and "42" in listing
    found = history_table(store, "flightless")
    assert "1234abcd" in found and "It is flightless" in found
    assert history_table(store, "zebra") == "No messages match 'zebra'."
    store.archive(conversation.id)
    assert history_table(store) == "No conversations yet."
    assert "(archived)" in history_table(store, include_archived=True)


def test_titles_with_control_sequences_are_cleaned(store: SqliteStore) -> None:
    conversation = sample()
    conversation.title = "evil \x1b]0;pwned\x07title"
    store.save(conversation)
    assert "\x1b" not in history_table(store)


def test_export_by_prefix(store: SqliteStore) -> None:
    store.save(sample())
    assert export_conversation(store, "1234", "md").startswith("---\ntitle:")
    assert from_json(export_conversation(store, "1234abcd", "json")) == sample()
    other = sample()
    other.id = "1234ffff" + "0" * 24
    other.messages = []
    store.save(other)
    with pytest.raises(CommandError, match="several"):
        export_conversation(store, "1234", "md")
    with pytest.raises(CommandError, match="No conversation id starts with 'beef'"):
        export_conversation(store, "beef", "md")
    with pytest.raises(CommandError, match="Unknown format"):
        export_conversation(store, "1234abcd", "pdf")


def test_import_round_trip(store: SqliteStore, tmp_path: Path) -> None:
    exported = tmp_path / "chat.json"
    exported.write_text(to_json(sample()), encoding="utf-8")
    said = import_conversation(store, exported)
    assert said == "Imported 'Birds: a \"quick\" chat' (4 messages) as 1234abcd."
    assert store.load(sample().id) == sample()
    assert [h.message_id for h in store.search("kiwi")] == [sample().messages[0].id]
    with pytest.raises(CommandError, match="already stored; nothing imported"):
        import_conversation(store, exported)


def test_import_errors_name_the_file(store: SqliteStore, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"missing\.json: cannot be read"):
        import_conversation(store, tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad\.json: Unsupported format"):
        import_conversation(store, bad)


def test_imported_streaming_reply_is_stopped(store: SqliteStore) -> None:
    conversation = sample()
    conversation.messages[-1].status = MessageStatus.STREAMING
    store.import_conversation(from_json(to_json(conversation)))
    assert store.load(conversation.id).messages[-1].status is MessageStatus.STOPPED


def test_commands_do_not_move_a_bad_file(tmp_path: Path) -> None:
    from poe_tui.commands.history import open_for_command

    path = tmp_path / "conversations.db"
    path.write_bytes(b"garbage" * 100)
    with pytest.raises(CommandError, match="damaged"):
        open_for_command(path)
    assert [p.name for p in tmp_path.iterdir()] == ["conversations.db"]
    fresh = tmp_path / "new" / "conversations.db"
    with open_for_command(fresh) as store:
        assert history_table(store) == "No conversations yet."


def test_files_travel_by_name_and_hash_and_come_back_linked(
    store: SqliteStore, tmp_path: Path
) -> None:
    from poe_tui.core.attachments import MessageFile

    ref = store.add_attachment(b"remember the milk\n", "notes.txt", "text/plain")
    conversation = sample()
    prompt = conversation.messages[0]
    prompt.attachments = [
        MessageFile("notes.txt", "text/plain", ref.size, sha256=ref.sha256, path=Path("/x")),
        MessageFile("sunset.png", "image/png", 99, url="https://pfst.cf2.poecdn.net/s.png"),
    ]
    markdown = to_markdown(conversation)
    assert "- `notes.txt` (text/plain, 18 bytes)" in markdown
    assert "<https://pfst.cf2.poecdn.net/s.png>" in markdown
    text = to_json(conversation)
    listed = json.loads(text)["messages"][0]["attachments"]
    assert [f["name"] for f in listed] == ["notes.txt", "sunset.png"]
    assert "path" not in listed[0]  # a local path means nothing elsewhere
    exported = tmp_path / "chat.json"
    exported.write_text(text, encoding="utf-8")
    import_conversation(store, exported)
    loaded = store.load(conversation.id).messages[0].attachments
    # The file this history holds is linked again; the other is named but not here.
    assert [(f.name, f.sha256) for f in loaded] == [("notes.txt", ref.sha256)]
    assert loaded[0].path is not None and loaded[0].path.read_bytes() == b"remember the milk\n"
