// The simulator without page reloads: both of its forms (the message, and the quick
// replies under answers) post JSON to the API instead, and the turn that comes back,
// already rendered by the page's own template, is appended to the transcript. Without
// this script the forms post normally and the page shows the same transcript.
"use strict";

(() => {
  const form = document.getElementById("sim-form");
  const chips = document.getElementById("sim-chip-form");
  if (!form || !chips) return;
  const transcript = document.getElementById("sim-transcript");
  const input = document.getElementById("sim-text");
  const language = document.getElementById("sim-language");
  const send = document.getElementById("sim-send");
  const error = document.getElementById("sim-error");
  let busy = false;

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function append(data) {
    const empty = document.getElementById("sim-empty");
    if (empty) empty.remove();
    for (const details of transcript.querySelectorAll("details.sim-channels[open]")) {
      details.open = false;
    }
    transcript.insertAdjacentHTML("beforeend", data.html);
    transcript.dir = data.direction;
    if (data.locale) transcript.lang = data.locale;
    language.value = data.language;
    chips.elements.language.value = data.language;
    toEnd();
  }

  function toEnd() {
    transcript.scrollTop = transcript.scrollHeight;
    const last = transcript.lastElementChild;
    if (last) last.scrollIntoView({ block: "nearest" });
  }

  async function say(text) {
    if (busy) return;
    if (!text.trim()) {
      showError(form.dataset.empty);
      input.focus();
      return;
    }
    busy = true;
    send.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.dataset.api, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": Admin.csrf() },
        body: JSON.stringify({ text, language: language.value }),
        credentials: "same-origin",
      });
      const data = await response.json().catch(() => null);
      if (!response.ok || !data) {
        showError((data && data.error) || form.dataset.failed);
        return;
      }
      showError("");
      append(data);
      if (input.value === text) input.value = "";
    } catch (_) {
      showError(form.dataset.failed);
    } finally {
      busy = false;
      send.disabled = false;
      form.removeAttribute("aria-busy");
      input.focus();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    say(input.value);
  });
  chips.addEventListener("submit", (event) => {
    event.preventDefault();
    if (event.submitter) say(event.submitter.value);
  });
  toEnd();
  language.addEventListener("change", () => {
    chips.elements.language.value = language.value;
    if (language.value !== "auto") transcript.dir = language.value === "ar" ? "rtl" : "ltr";
  });
})();
