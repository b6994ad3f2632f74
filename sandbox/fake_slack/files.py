"""files.*: the external upload (get a URL, POST the bytes, complete and share)."""

from __future__ import annotations

import mimetypes
from typing import Any, Final

from sandbox.fake_slack.calls import Call, Method, SlackError, required
from sandbox.fake_slack.workspace import PendingFile, Workspace


def get_upload_url(ws: Workspace, call: Call) -> dict[str, Any]:
    filename = required(call, "filename", error="invalid_arguments")
    try:
        length = int(call.args["length"])
    except (KeyError, TypeError, ValueError):
        raise SlackError("invalid_arguments") from None
    alt_txt = call.args.get("alt_txt")
    file_id = ws.shared.next_id("F")
    ws.shared.files[file_id] = PendingFile(filename, length, str(alt_txt) if alt_txt else None)
    return {"upload_url": f"{ws.shared.base_url()}/upload/{file_id}", "file_id": file_id}


def complete_upload(ws: Workspace, call: Call) -> dict[str, Any]:
    files = call.args.get("files")
    if not isinstance(files, list) or not files:
        raise SlackError("invalid_arguments")
    channels = [str(call.args["channel_id"])] if call.args.get("channel_id") else []
    channels += [c for c in str(call.args.get("channels") or "").split(",") if c]
    channels = [ws.resolve_channel(c) for c in channels]
    initial_comment = str(call.args.get("initial_comment") or "")
    thread_ts = call.args.get("thread_ts")

    completed: list[tuple[str, str, PendingFile, bytes]] = []
    for item in files:
        file_id = str(item.get("id", "")) if isinstance(item, dict) else ""
        pending = ws.shared.files.get(file_id)
        if pending is None or pending.content is None:
            raise SlackError("file_not_found")
        title = str(item.get("title") or pending.filename)
        completed.append((file_id, title, pending, pending.content))

    shared_files: list[dict[str, Any]] = []
    for file_id, title, pending, content in completed:
        del ws.shared.files[file_id]  # a file can be completed once
        ws.uploads.append(
            {
                "file_id": file_id,
                "filename": pending.filename,
                "title": title,
                "content": content,
                "alt_txt": pending.alt_txt,
                "channel_id": channels[0] if channels else None,
                "channels": channels,
                "initial_comment": initial_comment or None,
                "thread_ts": str(thread_ts) if thread_ts else None,
            }
        )
        mimetype = mimetypes.guess_type(pending.filename)[0] or "application/octet-stream"
        shared_files.append(
            {
                "id": file_id,
                "name": pending.filename,
                "title": title,
                "mimetype": mimetype,
                "size": len(content),
                "user": ws.bot_user_id,
            }
        )
    # Sharing into a channel shows a message from the bot carrying the files.
    for channel in channels:
        share: dict[str, Any] = {
            "type": "message",
            "user": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "text": initial_comment,
            "files": shared_files,
            "upload": True,
            "ts": ws.shared.clock.next(),
        }
        if thread_ts:
            share["thread_ts"] = str(thread_ts)
        ws.posted_by_bot(channel, share)
    return {"files": [{"id": f["id"], "title": f["title"]} for f in shared_files]}


METHODS: Final[dict[str, Method]] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}
