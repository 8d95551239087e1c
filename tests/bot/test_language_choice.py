"""Which language the bot answers in, and how that choice is remembered."""

from __future__ import annotations

from bot.messages import Address, ChannelName
from bot.runtime import Runtime
from bot.store import contacts
from tests.support.chat import Chat, RecordingChannel


async def test_first_message_language_is_detected_and_remembered(chat: Chat) -> None:
    assert "¡Hola!" in await chat.reply("hola")
    # A lone keyword in another language does not move a remembered language.
    assert "Por ahora no hay ninguna sesión programada." in await chat.reply("next")


async def test_a_greeting_in_another_language_switches_a_guessed_language(chat: Chat) -> None:
    assert "Hello!" in await chat.reply("hi")
    assert "¡Hola!" in await chat.reply("hola")
    assert "مرحبًا!" in await chat.reply("مرحبا")


async def test_an_explicit_choice_sticks_over_detection(chat: Chat) -> None:
    await chat.say("español")
    assert "¡Hola!" in await chat.reply("hello there, when is the next session?") or (
        "Por ahora no hay ninguna sesión programada."
        in await chat.reply("when is the next session?")
    )
    assert "Esto es lo que puedes preguntarme" in await chat.reply("help")


async def test_the_clients_language_code_is_the_first_guess(chat: Chat) -> None:
    answer = await chat.reply("ok", language_hint="es-MX")
    assert "¡Con gusto!" in answer


async def test_text_in_a_clear_language_beats_the_clients_language_code(chat: Chat) -> None:
    answer = await chat.reply("متى الجلسة القادمة", language_hint="en-US")
    assert "لا توجد جلسة قادمة" in answer


async def test_language_survives_a_restart(runtime: Runtime, recorder: RecordingChannel) -> None:
    await Chat(runtime, recorder, "parent-7").say("عربي")
    again = Chat(runtime, recorder, "parent-7")
    assert "إليك ما يمكنك أن ترسله لي" in await again.reply("help")
    async with runtime.engine.connect() as connection:
        stored = await contacts.find(connection, Address(ChannelName.CONSOLE, "parent-7"))
    assert stored is not None
    assert (stored.locale, stored.locale_chosen) == ("ar", True)


async def test_language_menu_offers_the_three_languages_as_buttons(chat: Chat) -> None:
    [menu] = await chat.say("language")
    assert [b.label for b in menu.buttons] == ["English", "Español", "العربية"]
    for button, confirmation in zip(
        menu.buttons,
        ("I will write to you in English", "te escribiré en español", "سأراسلك باللغة العربية"),
        strict=True,
    ):
        assert confirmation in await chat.reply(button.payload)
