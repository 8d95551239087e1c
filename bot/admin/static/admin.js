// The console's few live parts share these helpers; each page's own behaviour lives in
// the functions below, switched on by a data-* attribute on the page, so pages carry no
// inline script (the Content-Security-Policy forbids it).
"use strict";

const Admin = {
  csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },
  async postJSON(url, data) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": Admin.csrf() },
      body: JSON.stringify(data),
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return response.json();
  },
  async getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return response.json();
  },
  debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  },
};
