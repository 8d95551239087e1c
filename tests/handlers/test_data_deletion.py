"""'Delete my data' by message: asked once, erased on DELETE, and never messaged afterwards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot import broadcasts
from bot.broadcasts import Draft
from bot.fanout import Audience
from bot.messages import Address, ChannelName
from bot.runtime import Runtime
from bot.store import contacts as contact_store
from bot.store.tables import consent_events, contacts, inbound_log, subscriptions
from tests.support.chat import Chat, FrozenClock, RecordingChannel

# (request, confirmation word, a piece of the question, a piece of the answer)
LANGUAGES = {
    "en": ("Please delete my data", "DELETE", "reply DELETE", "Your data has been deleted"),
    "es": ("borrar mis datos", "borrar", "responde BORRAR", "borramos tus datos"),
    "ar": ("احذف بياناتي", "احذف", "أرسل «احذف»", "تم حذف بياناتك"),
}


@pytest.fixture
def parent(runtime: Runtime) -> Chat:
    return Chat(runtime, RecordingChannel(ChannelName.SMS), contact="+15550105555")


async def what_is_kept(runtime: Runtime, address: Address) -> dict[str, object]:
    async with runtime.engine.connect() as connection:
        row = (
            await connection.execute(
                select(contacts).where(
                    contacts.c.channel == address.channel.value, contacts.c.address == address.id
                )
            )
        ).one_or_none()
        contact_id = None if row is None else row.id
        return {
            "contact": None
            if row is None
            else {
                "display_name": row.display_name,
                "locale": row.locale,
                "opted_out": row.opted_out,
                "state": row.state,
            },
            "messages_in": await connection.scalar(
                select(func.count()).where(inbound_log.c.contact_id == contact_id)
            ),
            "subscriptions": await connection.scalar(
                select(func.count()).where(subscriptions.c.contact_id == contact_id)
            ),
            "consent": [
                (event.action, event.source)
                for event in await connection.execute(
                    select(consent_events).where(consent_events.c.address == address.id)
                )
            ],
        }


@pytest.mark.parametrize("language", LANGUAGES)
async def test_asking_then_confirming_deletes_everything_but_the_opt_out(
    runtime: Runtime, parent: Chat, language: str
) -> None:
    request, confirm, question, answer = LANGUAGES[language]
    await parent.say({"en": "hello", "es": "hola", "ar": "مرحبا"}[language])
    await parent.say({"en": "subscribe", "es": "suscribirme", "ar": "اشترك"}[language])

    assert question in await parent.reply(request)
    assert (await what_is_kept(runtime, parent.address))["subscriptions"] == 1
    assert answer in await parent.reply(confirm)

    assert await what_is_kept(runtime, parent.address) == {
        "contact": {"display_name": None, "locale": None, "opted_out": True, "state": {}},
        "messages_in": 0,
        "subscriptions": 0,
        "consent": [("opt_out", "erasure")],
    }


async def test_nobody_else_loses_anything(runtime: Runtime, parent: Chat) -> None:
    neighbour = Chat(runtime, RecordingChannel(ChannelName.SMS), contact="+15550106666")
    await neighbour.say("subscribe")
    before = await what_is_kept(runtime, neighbour.address)
    await parent.say("delete my data")
    await parent.say("DELETE")
    assert await what_is_kept(runtime, neighbour.address) == before


async def test_after_deletion_no_broadcast_reaches_them_until_they_send_start(
    runtime: Runtime, parent: Chat
) -> None:
    neighbour = Chat(runtime, parent.channel, contact="+15550106666")
    await neighbour.say("hello")
    await parent.say("subscribe")
    await parent.say("delete my data")
    await parent.say("DELETE")
    async with runtime.engine.begin() as connection:
        draft = await broadcasts.create(
            connection,
            # Everyone who ever wrote: the widest audience there is.
            Draft(texts={"en": "Room change tonight"}, audience=Audience(subscribed=False)),
            runtime.clock(),
        )
        await broadcasts.send(connection, draft, runtime.settings, runtime.clock())
    before = len(parent.channel.sent)
    await parent.dispatcher.drain(ChannelName.SMS)
    assert [m.address for m in parent.channel.sent[before:]] == [neighbour.address]
    # Only they can undo it, with START, like after STOP.
    assert "Welcome back" in await parent.reply("START")


async def test_a_bare_delete_without_a_request_only_asks(runtime: Runtime, parent: Chat) -> None:
    await parent.say("subscribe")
    assert "reply DELETE" in await parent.reply("delete")
    assert (await what_is_kept(runtime, parent.address))["subscriptions"] == 1


async def test_any_other_message_withdraws_the_request(runtime: Runtime, parent: Chat) -> None:
    await parent.say("subscribe")
    await parent.say("delete my data")
    assert "reply DELETE" not in await parent.reply("next")
    assert "reply DELETE" in await parent.reply("DELETE")
    assert (await what_is_kept(runtime, parent.address))["subscriptions"] == 1


async def test_the_question_expires_after_ten_minutes(
    runtime: Runtime, parent: Chat, clock: FrozenClock
) -> None:
    await parent.say("subscribe")
    await parent.say("delete my data")
    clock.now += timedelta(minutes=10, seconds=1)
    assert "reply DELETE" in await parent.reply("DELETE")
    assert (await what_is_kept(runtime, parent.address))["subscriptions"] == 1


async def test_someone_who_sent_stop_can_still_have_their_data_deleted(
    runtime: Runtime, parent: Chat
) -> None:
    await parent.say("STOP")
    assert "reply DELETE" in await parent.reply("delete my data")
    assert "Your data has been deleted" in await parent.reply("DELETE")
    kept = await what_is_kept(runtime, parent.address)
    assert kept["consent"] == [("opt_out", "erasure")]


async def test_on_telegram_too(runtime: Runtime) -> None:
    chat = Chat(runtime, RecordingChannel(ChannelName.TELEGRAM), contact="5555")
    await chat.say("hola")
    assert "responde BORRAR" in await chat.reply("borrar mis datos")
    assert "borramos tus datos" in await chat.reply("BORRAR")
    async with runtime.engine.connect() as connection:
        contact = await contact_store.find(connection, chat.address)
    assert contact is not None and contact.opted_out and contact.locale is None
