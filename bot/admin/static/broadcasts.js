// The broadcasts pages' live parts: the SMS counter under each text while the organizer
// types, and the progress of a broadcast while it goes out. Both ask the server (the same
// code that makes the preview and the bill), so the browser never counts on its own.
"use strict";

const Broadcasts = {
  COUNT_DELAY_MS: 250,
  POLL_MS: 1000,
  RETRY_MS: 5000,

  // -- compose: characters, encoding and segments of each text ---------------------------
  compose(form) {
    const url = form.dataset.smsCountUrl;
    const areas = Array.from(form.querySelectorAll("textarea[data-language]"));
    let asked = 0;
    const update = async () => {
      const texts = {};
      for (const area of areas) texts[area.dataset.language] = area.value;
      const ticket = ++asked;
      try {
        const answer = await Admin.postJSON(url, { texts });
        if (ticket !== asked) return; // a newer question is on its way
        for (const [language, count] of Object.entries(answer.languages)) {
          Broadcasts.showCount(language, count);
        }
      } catch (error) {
        for (const area of areas) {
          const line = document.getElementById(`count-${area.dataset.language}`);
          if (line) line.classList.add("stale");
        }
      }
    };
    const later = Admin.debounce(update, Broadcasts.COUNT_DELAY_MS);
    for (const area of areas) area.addEventListener("input", later);
    Broadcasts.whenChoice(form);
  },

  showCount(language, count) {
    const line = document.getElementById(`count-${language}`);
    if (!line) return;
    line.textContent = count.label;
    line.dataset.segments = count.segments === null ? "" : String(count.segments);
    line.dataset.encoding = count.encoding || "";
    line.dataset.fallback = count.fallback ? "true" : "false";
    line.classList.toggle("too-long", Boolean(count.too_long));
    line.classList.remove("stale");
  },

  // Picking a date means "at a date and time"; the server ignores it for "now".
  whenChoice(form) {
    const later = form.querySelector("#when-later");
    const field = form.querySelector("#send-at");
    if (!later || !field) return;
    field.addEventListener("input", () => {
      if (field.value) later.checked = true;
    });
  },

  // -- progress: sent, delivered, failed... until it is done or cancelled ----------------
  follow(section) {
    const url = section.dataset.progressUrl;
    const poll = async () => {
      let wait = Broadcasts.POLL_MS;
      try {
        const figures = await Admin.getJSON(url);
        Broadcasts.showProgress(figures);
        if (figures.finished) return;
      } catch (error) {
        wait = Broadcasts.RETRY_MS;
      }
      setTimeout(poll, wait);
    };
    setTimeout(poll, Broadcasts.POLL_MS);
  },

  showProgress(figures) {
    const fields = {
      recipients: figures.recipients,
      sent: figures.sent,
      delivered: figures.delivered,
      failed: figures.failed,
      "opted-out": figures.opted_out,
      cancelled: figures.cancelled,
      "to-go": figures.to_go,
      percent: figures.percent,
    };
    for (const [key, value] of Object.entries(fields)) {
      const element = document.getElementById(`progress-${key}`);
      if (element) element.textContent = String(value);
    }
    const bar = document.getElementById("progress-bar");
    if (bar) bar.value = Math.floor(figures.fraction * 100);
    const status = document.getElementById("broadcast-status");
    if (status) {
      status.textContent = figures.status_label;
      status.dataset.status = figures.status;
      status.className = `badge ${figures.badge}`.trim();
    }
    if (figures.finished) {
      const cancel = document.getElementById("cancel-form");
      if (cancel) cancel.hidden = true;
    }
  },
};

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-sms-count-url]");
  if (form) Broadcasts.compose(form);
  const section = document.querySelector("[data-progress-url]");
  if (section) Broadcasts.follow(section);
});
