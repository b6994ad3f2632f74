"""Socket Mode: the app's websocket, envelopes pushed to it, and the acks it sends back."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any

from aiohttp import web


class SocketMode:
    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.sockets: list[web.WebSocketResponse] = []
        self.acks: dict[str, Any] = {}
        self._ids = itertools.count(1)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=None)
        await socket.prepare(request)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": len(self.sockets) + 1,
                "connection_info": {"app_id": self.app_id},
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
            }
        )
        self.sockets.append(socket)
        try:
            async for message in socket:
                if message.type != web.WSMsgType.TEXT:
                    continue
                with contextlib.suppress(ValueError):
                    data = json.loads(message.data)
                    if isinstance(data, dict) and "envelope_id" in data:
                        self.acks[str(data["envelope_id"])] = data.get("payload")
        finally:
            self.sockets.remove(socket)
        return socket

    async def close(self) -> None:
        for socket in list(self.sockets):
            await socket.close()

    async def push(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Any:
        """Deliver an events_api / interactive envelope; wait for its ack and answer its
        payload (None for a plain ack); raise if none came in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.sockets:
            if loop.time() >= deadline:
                raise AssertionError("no app is connected over Socket Mode")
            await asyncio.sleep(0.02)
        envelope_id = f"env-{next(self._ids)}"
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": envelope_type,
                "accepts_response_payload": envelope_type == "interactive",
                "retry_attempt": 0,
                "retry_reason": "",
                "payload": payload,
            }
        )
        while envelope_id not in self.acks:
            if loop.time() >= deadline:
                raise AssertionError(f"envelope {envelope_id} was not acknowledged")
            await asyncio.sleep(0.02)
        return self.acks[envelope_id]
