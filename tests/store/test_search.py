"""Full-text search (FTS5, bm25) over every message, kept in step by triggers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from poe_tui.core.conversation import Conversation, MessageStatus
from poe_tui.store import SqliteStore, TurnLog
from poe_tui.store.search import fts_query
from tests.support.replies import finish, stream_into


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "c.db") as opened:
        yield opened


def saved(store: SqliteStore, title: str, *texts: str) -> Conversation:
    conversation = Conversation(bot="bot", title=title, titled=True)
    for index, text in enumerate(texts):
        if index % 2 == 0:
            conversation.add_user_message(text)
        else:
            conversation.start_reply().text = text
            conversation.messages[-1].status = MessageStatus.COMPLETE
    store.save(conversation)
    return conversation


def test_ranking_puts_the_best_match_first(store: SqliteStore) -> None:
    saved(store, "weak", "a long message about many things " * 5 + "and one mention of kiwi")
    strong = saved(store, "strong", "kiwi kiwi kiwi")
    medium = saved(store, "medium", "kiwi fruit and kiwi birds are different")
    hits = store.search("kiwi")
    assert [h.title for h in hits] == ["strong", "medium", "weak"]
    assert hits[0].conversation_id == strong.id
    assert hits[1].message_id == medium.messages[0].id
    assert hits[0].rank <= hits[1].rank <= hits[2].rank  # bm25: lower is better


def test_all_words_must_match_last_is_prefix(store: SqliteStore) -> None:
    saved(store, "both", "the quick brown fox")
    saved(store, "one", "the quick turtle")
    assert [h.title for h in store.search("quick fo")] == ["both"]
    assert {h.title for h in store.search("quick")} == {"both", "one"}


def test_snippet_marks_the_hit(store: SqliteStore) -> None:
    saved(store, "t", "We talked about the Zürich weather yesterday")
    (hit,) = store.search("zurich")  # diacritics folded
    assert "«Zürich»" in store.search("zurich", mark=("«", "»"))[0].snippet
    assert "[Zürich]" in hit.snippet
    assert hit.role == "user"


def test_hostile_input_is_text_not_syntax(store: SqliteStore) -> None:
    saved(store, "t", 'he said "NEAR" AND -x OR * col:value')
    for query in ['"', "AND", "NEAR(", "-x", "*", "col:value", "(((", "'"]:
        store.search(query)  # never an FTS5 syntax error
    assert store.search("   ") == []
    assert [h.title for h in store.search("col:value")] == ["t"]


def test_index_follows_edits_and_deletes(store: SqliteStore) -> None:
    conversation = saved(store, "t", "original words")
    conversation.messages[0].text = "replaced words"
    store.save(conversation)
    assert store.search("original") == []
    assert len(store.search("replaced")) == 1
    store.delete(conversation.id)
    assert store.search("words") == []
    integrity = store.conn.execute(
        "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"
    )
    assert integrity is not None  # raises if the index and the table disagree


def test_a_reply_is_indexed_once_when_it_ends(store: SqliteStore) -> None:
    """Streaming appends chunks (linear cost); the index takes the whole text at the end."""
    conversation = Conversation(bot="bot")
    user = conversation.add_user_message("question")
    store.save_user_message(conversation, user)
    reply = conversation.start_reply()
    TurnLog(store).open_reply(conversation, reply)
    stream_into(store, conversation, reply, "an answer ", "about pelicans")
    assert store.search("pelicans") == []
    assert store.load(conversation.id).messages[-1].text == "an answer about pelicans"
    finish(store, conversation, reply)
    assert [h.role for h in store.search("pelicans")] == ["assistant"]


def test_open_at_a_hit(store: SqliteStore) -> None:
    texts = [f"filler {i}" for i in range(40)]
    texts[5] = "the needle is here"
    conversation = saved(store, "long", *texts)
    (hit,) = store.search("needle")
    opened = store.open_at(hit.conversation_id, hit.message_id, before=2)
    assert opened.messages[2].id == hit.message_id
    assert opened.messages[-1].id == conversation.messages[-1].id


def test_fts_query_quotes_words() -> None:
    assert fts_query("foo bar") == '"foo" "bar"*'
    assert fts_query("a-b") == '"a" "b"*'
    assert fts_query("!!") == ""
