"""The session and resource forms: what was typed, and whether it can be saved.

Values are kept as the text the organizer typed, so a form with a mistake comes back
exactly as they left it, each problem next to its field in the console's language. The
rules are the importer's (`catalog.io`): a file and the form accept the same catalogs;
only the wording differs, because these messages are read in English or Spanish by
community staff, not in a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiDictProxy

from bot.admin.catalog_view import TEXT_FIELDS, known_zones, local_input
from bot.admin.i18n import gettext as _
from catalog.io import (
    DEFAULT_DURATION_MINUTES,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_DURATION_MINUTES,
    first_unprintable,
    is_web_address,
)
from catalog.models import (
    FALLBACK_LANGUAGE,
    LANGUAGES,
    Catalog,
    Localized,
    Resource,
    ResourceKind,
    Session,
    SessionStatus,
)

# Every value of each posted field, as the browser sent them (checkboxes repeat a name).
Posted = Mapping[str, Sequence[str]]
Errors = dict[str, str]

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
# The word that names the "new item" page, so no item may be called it.
RESERVED_IDS = frozenset({"new"})
TEXT_KEYS = tuple(f"{name}.{lang}" for name in TEXT_FIELDS for lang in LANGUAGES)


async def read_form(
    request: web.Request,
) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """The posted form, uploads included; a 400 when the body is not one."""
    try:
        return await request.post()
    except ValueError as error:
        raise web.HTTPBadRequest(text=f"the body is not a form: {error}") from error


async def read_posted(request: web.Request) -> Posted:
    """Every text value of the posted form by name (uploads are read where expected)."""
    data = await read_form(request)
    return {key: [v for v in data.getall(key) if isinstance(v, str)] for key in set(data)}


def value_of(data: Posted, key: str) -> str:
    values = data.get(key) or [""]
    # Browsers send a textarea's line breaks as CRLF; stored texts use "\n".
    return values[0].replace("\r\n", "\n").strip()


def _texts(data: Posted) -> dict[str, str]:
    return {key: value_of(data, key) for key in TEXT_KEYS}


def _texts_of(*pairs: tuple[str, Localized]) -> dict[str, str]:
    return {
        f"{name}.{lang}": text.values.get(lang, "") for name, text in pairs for lang in LANGUAGES
    }


def _hidden_texts(texts: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(key, texts.get(key, "")) for key in TEXT_KEYS]


@dataclass(frozen=True)
class SessionForm:
    id: str
    starts_at: str
    timezone: str
    duration_minutes: str
    status: str
    topics: tuple[str, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def blank(cls, zone: str) -> SessionForm:
        return cls("", "", zone, str(DEFAULT_DURATION_MINUTES), SessionStatus.SCHEDULED.value)

    @classmethod
    def of(cls, session: Session) -> SessionForm:
        return cls(
            id=session.id,
            starts_at=local_input(session.starts_at, session.zone),
            timezone=session.timezone,
            duration_minutes=str(session.duration_minutes),
            status=session.status.value,
            topics=session.topics,
            texts=_texts_of(
                ("title", session.title), ("summary", session.summary), ("link", session.link)
            ),
        )

    @classmethod
    def posted(cls, data: Posted, session_id: str | None) -> SessionForm:
        """The submitted form; `session_id` is the edited session's (None for a new one)."""
        return cls(
            id=session_id if session_id is not None else value_of(data, "id"),
            starts_at=value_of(data, "starts_at"),
            timezone=value_of(data, "timezone"),
            duration_minutes=value_of(data, "duration_minutes"),
            status=value_of(data, "status"),
            topics=tuple(dict.fromkeys(data.get("topics", ()))),
            texts=_texts(data),
        )

    def hidden(self) -> list[tuple[str, str]]:
        """The values as (name, value) pairs, to post them again from a confirmation page."""
        return [
            ("id", self.id),
            ("starts_at", self.starts_at),
            ("timezone", self.timezone),
            ("duration_minutes", self.duration_minutes),
            ("status", self.status),
            *(("topics", topic) for topic in self.topics),
            *_hidden_texts(self.texts),
        ]


@dataclass(frozen=True)
class ResourceForm:
    id: str
    kind: str
    session_ids: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def blank(cls) -> ResourceForm:
        return cls("", "")

    @classmethod
    def of(cls, resource: Resource) -> ResourceForm:
        return cls(
            id=resource.id,
            kind=resource.kind.value,
            session_ids=resource.session_ids,
            topics=resource.topics,
            texts=_texts_of(
                ("title", resource.title), ("summary", resource.summary), ("link", resource.link)
            ),
        )

    @classmethod
    def posted(cls, data: Posted, resource_id: str | None) -> ResourceForm:
        return cls(
            id=resource_id if resource_id is not None else value_of(data, "id"),
            kind=value_of(data, "kind"),
            session_ids=tuple(dict.fromkeys(data.get("sessions", ()))),
            topics=tuple(dict.fromkeys(data.get("topics", ()))),
            texts=_texts(data),
        )


def check_session(
    form: SessionForm, catalog: Catalog, existing: Session | None
) -> tuple[Session | None, Errors]:
    """The session the form describes, or the problems by field name."""
    errors: Errors = {}
    if existing is None:
        _check_new_id(form.id, {s.id for s in catalog.sessions}, errors)
    zone = _zone(form.timezone, errors)
    starts_at = _starts_at(form, zone, existing, errors)
    duration = _duration(form.duration_minutes, errors)
    status = _status(form.status, errors)
    topics = _refs(form.topics, {t.id for t in catalog.topics}, "topics", errors)
    title = _localized(form.texts, "title", errors, required=True)
    summary = _localized(form.texts, "summary", errors)
    link = _localized(form.texts, "link", errors)
    if errors or zone is None or starts_at is None or duration is None or status is None:
        return None, errors
    return Session(
        id=form.id,
        starts_at=starts_at,
        timezone=zone.key,
        duration_minutes=duration,
        title=title,
        summary=summary,
        link=link,
        topics=topics,
        status=status,
        version=existing.version if existing is not None else 1,
    ), errors


def check_resource(
    form: ResourceForm, catalog: Catalog, existing: Resource | None
) -> tuple[Resource | None, Errors]:
    errors: Errors = {}
    if existing is None:
        _check_new_id(form.id, {r.id for r in catalog.resources}, errors)
    kind = _kind(form.kind, errors)
    sessions = _refs(form.session_ids, {s.id for s in catalog.sessions}, "sessions", errors)
    topics = _refs(form.topics, {t.id for t in catalog.topics}, "topics", errors)
    title = _localized(form.texts, "title", errors, required=True)
    summary = _localized(form.texts, "summary", errors)
    link = _localized(form.texts, "link", errors, required=True)
    if errors or kind is None:
        return None, errors
    return Resource(form.id, kind, title, link, summary, sessions, topics), errors


def _check_new_id(item_id: str, taken: set[str], errors: Errors) -> None:
    if not item_id:
        errors["id"] = _("Give it a short name for the address, like family-voice-2027.")
    elif not SLUG.fullmatch(item_id) or item_id in RESERVED_IDS:
        errors["id"] = _(
            "Use only lowercase letters, digits and hyphens (at most 64), "
            "starting with a letter or digit, like family-voice-2027."
        )
    elif item_id in taken:
        errors["id"] = _("This name is already used; choose another one.")


def _zone(name: str, errors: Errors) -> ZoneInfo | None:
    if name not in known_zones():
        errors["timezone"] = _("Choose a time zone from the list.")
        return None
    return ZoneInfo(name)


def _starts_at(
    form: SessionForm, zone: ZoneInfo | None, existing: Session | None, errors: Errors
) -> datetime | None:
    """The instant the wall-clock time in the form names in the chosen zone.

    An unchanged field keeps the stored instant: the input shows minutes only and cannot
    say which of the two 1:30s a session in the repeated autumn hour is at, and saving a
    session untouched must never move it (nor trip over the years a new date may use).
    """
    text = form.starts_at
    if not text:
        errors["starts_at"] = _("Enter the date and time the session starts.")
        return None
    if (
        existing is not None
        and zone is not None
        and zone.key == existing.timezone
        and text == local_input(existing.starts_at, existing.zone)
    ):
        return existing.starts_at
    try:
        written = datetime.fromisoformat(text)
    except ValueError:
        written = None
    if (
        written is None
        or written.tzinfo is not None
        or "T" not in text.upper()
        or not FIRST_YEAR <= written.year <= LAST_YEAR
    ):
        errors["starts_at"] = _("Enter a date and a time, like 2027-01-14 17:30.")
        return None
    if zone is None:
        return None
    local = written.replace(tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != written:
        errors["starts_at"] = _(
            "{time} does not exist in this time zone: the clocks jump forward an hour "
            "that night. Choose another time.",
            time=written.strftime("%H:%M"),
        )
        return None
    return instant


def _duration(text: str, errors: Errors) -> int | None:
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_DURATION_MINUTES:
        return int(text)
    errors["duration_minutes"] = _(
        "Enter a whole number of minutes from 1 to {most}.", most=MAX_DURATION_MINUTES
    )
    return None


def _status(text: str, errors: Errors) -> SessionStatus | None:
    try:
        return SessionStatus(text)
    except ValueError:
        errors["status"] = _("Choose scheduled or cancelled.")
        return None


def _kind(text: str, errors: Errors) -> ResourceKind | None:
    try:
        return ResourceKind(text)
    except ValueError:
        errors["kind"] = _("Choose what kind of resource this is.")
        return None


def _refs(ids: Sequence[str], known: set[str], key: str, errors: Errors) -> tuple[str, ...]:
    unknown = [ref for ref in ids if ref not in known]
    if unknown:
        errors[key] = _(
            "Not in the catalog any more: {ids}. Reload the page.", ids=", ".join(unknown)
        )
    return tuple(ref for ref in ids if ref in known)


def _localized(
    texts: Mapping[str, str], name: str, errors: Errors, *, required: bool = False
) -> Localized:
    """One text in three languages; English is what the bot falls back to, so a text
    given at all needs it."""
    values = {lang: texts.get(f"{name}.{lang}", "") for lang in LANGUAGES}
    values = {lang: text for lang, text in values.items() if text}
    english = f"{name}.{FALLBACK_LANGUAGE}"
    if FALLBACK_LANGUAGE not in values and values:
        errors[english] = _(
            "Write it in English too: people whose language is missing get the English."
        )
    elif FALLBACK_LANGUAGE not in values and required:
        errors[english] = _("Required: write it in English.")
    for lang, text in values.items():
        if (at := first_unprintable(text)) is not None:
            errors[f"{name}.{lang}"] = _(
                "This text holds an invisible control character (U+{code}), often pasted "
                "from another program: delete the text and type it again.",
                code=f"{ord(text[at]):04X}",
            )
    if name == "link":
        for lang, text in values.items():
            if f"link.{lang}" not in errors and not is_web_address(text):
                errors[f"link.{lang}"] = _(
                    "Enter a full web address starting with https:// (or http://)."
                )
    return Localized(values)
