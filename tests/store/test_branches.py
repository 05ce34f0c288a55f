"""Branches: edit a prompt and resend, regenerate a reply, switch back, continue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from poe_tui.core.conversation import Conversation, MessageStatus
from poe_tui.store import NotFound, SqliteStore, StoreError
from tests.support.replies import write_reply


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "c.db") as opened:
        yield opened


def turn(store: SqliteStore, conversation: Conversation, prompt: str, answer: str) -> None:
    user = conversation.add_user_message(prompt)
    store.save_user_message(conversation, user)
    reply(store, conversation, answer)


def reply(store: SqliteStore, conversation: Conversation, answer: str) -> None:
    if conversation.messages[-1].role == "user":
        conversation.start_reply()
    write_reply(store, conversation, conversation.messages[-1], answer)


def texts(conversation: Conversation) -> list[str]:
    return [m.text for m in conversation.messages]


def test_edit_makes_a_branch_and_switching_back_restores_it(store: SqliteStore) -> None:
    conversation = Conversation(bot="a")
    turn(store, conversation, "first", "r1")
    turn(store, conversation, "second", "r2")
    turn(store, conversation, "third", "r3")
    old_second = conversation.messages[2]

    edited = store.edit_user_message(conversation, old_second.id, "second, better")
    assert texts(conversation) == ["first", "r1", "second, better"]
    reply(store, conversation, "r2 better")
    assert texts(store.load(conversation.id)) == ["first", "r1", "second, better", "r2 better"]

    info = store.branch_info(edited.id)
    assert (info.position, info.count) == (2, 2)
    assert info.sibling_ids == (old_second.id, edited.id)

    store.switch_branch(conversation, old_second.id)
    assert texts(conversation) == ["first", "r1", "second", "r2", "third", "r3"]
    assert texts(store.load(conversation.id)) == texts(conversation)  # persisted

    store.switch_branch(conversation, edited.id)
    assert texts(conversation) == ["first", "r1", "second, better", "r2 better"]


def test_switch_keeps_the_objects_on_screen(store: SqliteStore) -> None:
    conversation = Conversation(bot="a")
    turn(store, conversation, "q", "a1")
    first_prompt = conversation.messages[0]
    old_reply = conversation.messages[1]
    store.regenerate(conversation, old_reply.id)
    store.switch_branch(conversation, old_reply.id)
    assert conversation.messages[0] is first_prompt


def test_regenerate_with_another_bot(store: SqliteStore) -> None:
    conversation = Conversation(bot="a")
    turn(store, conversation, "q", "from a")
    old = conversation.messages[1]
    new = store.regenerate(conversation, old.id, bot="b")
    assert new.status is MessageStatus.STREAMING and new.bot == "b"
    assert conversation.messages[-1] is new
    reply(store, conversation, "from b")
    assert texts(store.load(conversation.id)) == ["q", "from b"]
    assert store.branch_info(new.id).count == 2
    assert store.message_extras(new.id).parent_id == conversation.messages[0].id
    store.switch_branch(conversation, old.id)
    assert texts(conversation) == ["q", "from a"]


def test_edit_of_the_first_prompt_of_a_partly_loaded_conversation(store: SqliteStore) -> None:
    conversation = Conversation(bot="a")
    for i in range(5):
        turn(store, conversation, f"p{i}", f"r{i}")
    recent = store.load(conversation.id, last_n=2)  # ["p4", "r4"]
    store.edit_user_message(recent, recent.messages[0].id, "p4 again")
    reply(store, recent, "r4 again")
    full = store.load(conversation.id)
    assert texts(full)[-4:] == ["p3", "r3", "p4 again", "r4 again"]  # history not cut off


def test_continue_a_stopped_reply(store: SqliteStore) -> None:
    conversation = Conversation(bot="a")
    user = conversation.add_user_message("count")
    store.save_user_message(conversation, user)
    write_reply(store, conversation, conversation.start_reply(), "1 2 3", MessageStatus.STOPPED)
    cont = store.continue_reply(conversation, conversation.messages[1].id)
    write_reply(store, conversation, cont, " 4 5")
    (_, loaded) = store.load(conversation.id).messages
    assert loaded.text == "1 2 3 4 5"
    assert loaded.status is MessageStatus.COMPLETE


def test_deleted_branch_goes_with_its_subtree(store: SqliteStore) -> None:
    conversation = Conversation(bot="a")
    turn(store, conversation, "q", "a")
    store.edit_user_message(conversation, conversation.messages[0].id, "q2")
    store.delete(conversation.id)
    assert store.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0


def test_branch_errors(store: SqliteStore) -> None:
    conversation = Conversation(bot="a")
    turn(store, conversation, "q", "a")
    with pytest.raises(StoreError, match="Only your own"):
        store.edit_user_message(conversation, conversation.messages[1].id, "x")
    with pytest.raises(StoreError, match="Only a reply"):
        store.regenerate(conversation, conversation.messages[0].id)
    with pytest.raises(NotFound):
        store.switch_branch(conversation, "no-such-message")
    other = Conversation(bot="a")
    turn(store, other, "other", "b")
    with pytest.raises(NotFound):
        store.switch_branch(conversation, other.messages[0].id)
