"""A simulated turn as JSON, for /admin/api/simulator: the same facts the page shows."""

from __future__ import annotations

from typing import Any

from bot.admin.simulator_preview import Preview
from bot.admin.simulator_transcript import Answer, Turn


def turn_json(turn: Turn) -> dict[str, Any]:
    return {
        "said": turn.said.text if turn.said is not None else None,
        "answers": [_answer(answer) for answer in turn.answers],
    }


def _answer(answer: Answer) -> dict[str, Any]:
    return {
        "id": answer.id,
        "text": answer.text,
        "locale": answer.locale,
        "status": answer.status,
        "buttons": [{"label": b.label, "payload": b.payload} for b in answer.buttons],
        **_channels(answer.preview),
    }


def _channels(preview: Preview) -> dict[str, Any]:
    telegram = preview.telegram
    return {
        "sms": {
            "pages": [
                {
                    "text": page.text,
                    "encoding": page.report.encoding.value,
                    "segments": page.report.segments,
                    "characters": page.report.characters,
                    "units": page.report.units,
                }
                for page in preview.sms.pages
            ],
        },
        "telegram": {
            "parse_mode": "HTML",
            "parts": [part.html for part in telegram.parts],
            "keyboard": [
                [{"text": key.label, "callback_data": key.payload} for key in row]
                for row in telegram.keyboard
            ],
            "error": telegram.error,
        },
    }
