"""What the chat screen does with what the reply controller reports: a reply's changes
become messages to its view, and a reply that ends gives back its draft, collects its
files and waits for its bill.

It keeps the drafts: a prompt whose turn failed before any text (or was stopped) goes
back into the prompt box, at once or when the user returns to its conversation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from poe_tui.core.chat import ReplyDelta
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.ui.controllers.replies import ReplyJob
from poe_tui.ui.messages import MessageChanged, Part, UploadProgress
from poe_tui.ui.widgets.conversation_view import ConversationView
from poe_tui.ui.widgets.prompt_input import PromptInput

if TYPE_CHECKING:
    from poe_tui.ui.screens.chat import ChatScreen


class ChatReplyListener:
    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self._uploads_shown: set[str] = set()  # replies whose prompt shows upload progress
        self._drafts_away: dict[str, ReplyJob] = {}  # drafts to give back on return
        self._draft_given_back: tuple[str, str] | None = None  # (reply id, draft)

    def _post(self, change: MessageChanged) -> None:
        self.screen.query_one(ConversationView).post_message(change)

    # --- the ReplyListener protocol ---------------------------------------------------

    def reply_changed(self, job: ReplyJob, delta: ReplyDelta, *, wait_changed: bool) -> None:
        if job.discarded or not self.screen.is_mounted:  # deleted, or the app is closing
            return
        self._clear_upload_progress(job)
        if wait_changed:
            self._post(MessageChanged(job.reply, Part.WAIT, wait=delta.wait))
        if delta.has_content or delta.files or delta.plain_text is not None:
            self._post(MessageChanged(job.reply, Part.TEXT))

    def uploading(self, job: ReplyJob, index: int, sent: int, total: int) -> None:
        prompt = job.turn.prompt
        if prompt is not None:
            self._uploads_shown.add(job.reply.id)
            key = self.screen.poe_app.key_for("cancel_reply")
            self._post(
                MessageChanged(prompt, Part.UPLOAD, upload=UploadProgress(index, sent, total, key))
            )

    def reply_finished(self, job: ReplyJob) -> None:
        if job.error is not None:
            self.screen.report_bug(job.error, "a reply")
        self.screen.call_later(self._finish, job)

    # --- the end of a reply -------------------------------------------------------------

    def _clear_upload_progress(self, job: ReplyJob) -> None:
        if job.reply.id not in self._uploads_shown:
            return
        self._uploads_shown.discard(job.reply.id)
        prompt = job.turn.prompt
        if prompt is not None:
            self._post(MessageChanged(prompt, Part.UPLOAD))

    async def _finish(self, job: ReplyJob) -> None:
        screen = self.screen
        if not screen.is_mounted:  # the app is closing: the runner has saved the reply
            return
        reply = job.reply
        self._clear_upload_progress(job)
        here = job.conversation.id == screen.conversation.id
        if not job.discarded:
            await screen.collect_reply_files(job)
            if not here:
                screen.finished_away.add(job.conversation.id)
        keys = screen.suggestion_keys() if here else None
        self._post(MessageChanged(reply, Part.STATUS, suggestion_keys=keys))
        self._restore_draft(job)
        screen.refresh_history_list()
        screen.refresh_bindings()
        screen.points.reply_ended(job)

    def _restore_draft(self, job: ReplyJob) -> None:
        reply = job.reply
        failed_early = reply.status is MessageStatus.FAILED and not reply.text.strip()
        if job.draft is None or not (failed_early or reply.status is MessageStatus.STOPPED):
            return
        if job.discarded:
            return
        if job.conversation.id != self.screen.conversation.id:
            # It ended while the user was elsewhere: the draft waits for their return.
            self._drafts_away[job.conversation.id] = job
            return
        if self.screen.query_one(PromptInput).restore_draft(job.draft):
            self._draft_given_back = (reply.id, job.draft)
        self.screen.call_later(self.screen.attachments.restore, job.turn.prompt)

    def returned_to(self, conversation: Conversation) -> None:
        """The user opened `conversation`: a draft that waited for them comes back."""
        waiting = self._drafts_away.pop(conversation.id, None)
        if waiting is not None and any(m.id == waiting.reply.id for m in conversation.messages):
            self._restore_draft(waiting)

    async def take_back_draft(self, reply: Message) -> None:
        """The reply is asked for again (retry, continue): the prompt it came from no
        longer waits in the prompt box, or Enter would send it a second time."""
        given = self._draft_given_back
        self._draft_given_back = None
        prompt = self.screen.query_one(PromptInput)
        if given is None or given[0] != reply.id or prompt.text.strip() != given[1].strip():
            return
        prompt.clear_prompt()
        messages = self.screen.conversation.messages
        index = next(i for i, m in enumerate(messages) if m is reply)
        await self.screen.attachments.drop_sent(messages[index - 1])
