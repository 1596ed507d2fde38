// The reader of a qualitative source: turn a text selection (mouse or keyboard) into offsets
// of the stored text, post codings and notes, and act on the codings in the margin.
//
// Offsets count Unicode code points of the stored text (as the server does); every segment
// of the transcript is an element with data-o = the offset of its first character and holds
// exactly that stretch of text. The server checks the offsets and the quoted passage again.
"use strict";

(function () {
  const root = document.querySelector(".qual-reader");
  if (!root) return;
  const transcript = document.getElementById("transcript");
  const status = document.getElementById("selection-status");
  const shown = document.getElementById("selection-text");
  const result = document.getElementById("reader-result");
  const codingForm = document.getElementById("coding-form");
  const noteForm = document.getElementById("note-form");
  const csrf = codingForm.querySelector("[name=csrfmiddlewaretoken]").value;
  const length = Number(root.dataset.length);
  const segs = Array.from(transcript.querySelectorAll(".seg"));
  const turns = Array.from(transcript.querySelectorAll(".turn")).map((el) => ({
    el,
    start: Number(el.dataset.start),
    end: Number(el.dataset.end),
  }));
  let selection = null; // {start, end}

  const cpLength = (s) => Array.from(s).length;

  // --- the whole text, by code point, rebuilt from the segments -------------------------------
  const chars = new Array(length).fill("\n");
  for (const seg of segs) {
    let at = Number(seg.dataset.o);
    for (const ch of seg.textContent) chars[at++] = ch;
  }
  const textOf = (start, end) => chars.slice(start, end).join("");

  // --- DOM position <-> offset --------------------------------------------------------------
  function segIndexAt(offset, isEnd) {
    // the last segment starting at or before offset (strictly before it for an end)
    let lo = 0, hi = segs.length - 1, found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const o = Number(segs[mid].dataset.o);
      if (isEnd ? o < offset : o <= offset) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  function locate(offset, isEnd) {
    const seg = segs[segIndexAt(offset, isEnd)];
    const node = seg.firstChild;
    const cps = Array.from(node.textContent);
    const k = Math.max(0, Math.min(cps.length, offset - Number(seg.dataset.o)));
    return [node, cps.slice(0, k).join("").length];
  }

  function offsetOf(node, off, isEnd) {
    if (node.nodeType === Node.TEXT_NODE) {
      const seg = node.parentElement.closest("[data-o]");
      if (seg && transcript.contains(seg)) {
        return Number(seg.dataset.o) + cpLength(node.textContent.slice(0, off));
      }
      node = node.parentElement;
      off = 0;
    }
    const seg = node.closest ? node.closest("[data-o]") : null;
    if (seg && transcript.contains(seg)) {
      return Number(seg.dataset.o) + (off > 0 ? cpLength(seg.textContent) : 0);
    }
    const inText = node.closest ? node.closest(".turn-text") : null;
    if (inText) {
      const children = Array.from(inText.childNodes);
      if (off < children.length) return Number(children[off].dataset.o);
      return Number(inText.closest(".turn").dataset.end);
    }
    const turn = node.closest ? node.closest(".turn") : null;
    if (turn) return Number(isEnd ? turn.dataset.end : turn.dataset.start);
    return null;
  }

  // --- the current selection ------------------------------------------------------------------
  function turnOf(offset) {
    let found = 0;
    turns.forEach((t, i) => { if (t.start <= offset) found = i; });
    return found;
  }

  function choose(start, end, { mirror = true, announce = true } = {}) {
    start = Math.max(0, Math.min(start, length));
    end = Math.max(0, Math.min(end, length));
    if (end <= start) return;
    selection = { start, end };
    for (const [name, value] of [["start", start], ["end", end]]) {
      codingForm.elements[name].value = value;
      noteForm.elements[name].value = value;
    }
    const quote = textOf(start, end);
    codingForm.elements.quote.value = quote;
    codingForm.elements.quote.disabled = false;
    shown.hidden = false;
    shown.textContent = quote.length > 400 ? quote.slice(0, 399) + "…" : quote;
    if (mirror) {
      const [a, ao] = locate(start, false);
      const [b, bo] = locate(end, true);
      const range = document.createRange();
      range.setStart(a, ao);
      range.setEnd(b, bo);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      a.parentElement.scrollIntoView({ block: "nearest" });
    }
    if (announce) {
      const words = quote.trim().split(/\s+/).filter(Boolean).length;
      const short = quote.length > 120 ? quote.slice(0, 119) + "…" : quote;
      status.textContent =
        `Selected ${words} word${words === 1 ? "" : "s"} in turn ${turnOf(start) + 1}` +
        ` of ${turns.length}: “${short}”`;
    }
  }

  document.addEventListener("selectionchange", () => {
    const sel = window.getSelection();
    if (!sel.rangeCount || sel.isCollapsed) return;
    const range = sel.getRangeAt(0);
    if (!transcript.contains(range.commonAncestorContainer)) return;
    const start = offsetOf(range.startContainer, range.startOffset, false);
    const end = offsetOf(range.endContainer, range.endOffset, true);
    if (start === null || end === null || end <= start) return;
    if (selection && selection.start === start && selection.end === end) return;
    choose(start, end, { mirror: false });
  });

  // --- moving by turn, sentence and word --------------------------------------------------------
  const LABEL = /^[^\n:]{1,40}:[ \t]+/;

  function turnBody(t) {
    const text = textOf(t.start, t.end);
    const label = text.match(LABEL);
    return { start: t.start + (label ? cpLength(label[0]) : 0), end: t.end };
  }

  function sentences(t) {
    const body = turnBody(t);
    const out = [];
    let s = body.start;
    for (let i = body.start; i < body.end; i++) {
      const ch = chars[i];
      const next = chars[i + 1];
      const ends = ch === "\n" || (/[.!?…]/.test(ch) && (i + 1 >= body.end || /\s/.test(next)));
      if (ends) {
        const e = ch === "\n" ? i : i + 1;
        if (textOf(s, e).trim()) out.push(trim(s, e));
        s = i + 1;
      }
    }
    if (s < body.end && textOf(s, body.end).trim()) out.push(trim(s, body.end));
    return out;
  }

  function trim(s, e) {
    while (s < e && /\s/.test(chars[s])) s++;
    while (e > s && /\s/.test(chars[e - 1])) e--;
    return { start: s, end: e };
  }

  const allSentences = () => turns.flatMap(sentences);

  function move(key) {
    const here = selection || { start: -1, end: -1 };
    const i = selection ? turnOf(here.start) : -1;
    if (key === "j" || key === "k") {
      const j = key === "j" ? Math.min(i + 1, turns.length - 1) : Math.max(i - 1, 0);
      const body = turnBody(turns[j]);
      return choose(body.start, body.end);
    }
    const all = allSentences();
    if (key === ".") {
      // the first sentence after the selection's start (or the one starting with it, when a
      // whole turn is selected)
      const next = all.find((s) => s.start > here.start ||
        (s.start === here.start && s.end !== here.end)) || all[all.length - 1];
      return choose(next.start, next.end);
    }
    if (key === ",") {
      const before = all.filter((s) => s.end <= here.start);
      const prev = before[before.length - 1] || all[0];
      return choose(prev.start, prev.end);
    }
    if (!selection) return say("Select a passage first (j for the first turn).");
    if (key === ">") {
      const next = all.find((s) => s.end > here.end);
      if (next) choose(here.start, next.end);
    } else if (key === "<") {
      const keep = all.filter((s) => s.end < here.end && s.end > here.start);
      if (keep.length) choose(here.start, keep[keep.length - 1].end);
    } else if (key === "]") {
      let e = here.end;
      while (e < length && /\s/.test(chars[e])) e++;
      while (e < length && !/\s/.test(chars[e])) e++;
      choose(here.start, e);
    } else if (key === "[") {
      let e = here.end;
      while (e > here.start && /\s/.test(chars[e - 1])) e--;
      while (e > here.start && !/\s/.test(chars[e - 1])) e--;
      while (e > here.start && /\s/.test(chars[e - 1])) e--;
      if (e > here.start) choose(here.start, e);
    }
  }

  function say(message) {
    status.textContent = message;
  }

  transcript.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    let key = event.key;
    // Shift+. and Shift+, give > and < on most layouts, but not on all
    if (event.shiftKey && key === ".") key = ">";
    if (event.shiftKey && key === ",") key = "<";
    if (["j", "k", ".", ",", ">", "<", "]", "["].includes(key)) {
      event.preventDefault();
      move(key);
    } else if (key === "c" || key === "Enter") {
      event.preventDefault();
      if (!selection) return say("Select a passage first (j for the first turn).");
      document.getElementById("code-filter").focus();
    } else if (key === "n") {
      event.preventDefault();
      if (!selection) return say("Select a passage first (j for the first turn).");
      document.getElementById("note-text").focus();
    }
  });

  // --- the code picker ---------------------------------------------------------------------
  const filter = document.getElementById("code-filter");
  filter.addEventListener("input", () => {
    const q = filter.value.trim().toLowerCase();
    let visible = 0;
    for (const option of document.querySelectorAll(".code-option")) {
      const match = !q || option.dataset.name.includes(q);
      option.hidden = !match;
      if (match) visible++;
    }
    say(`${visible} code${visible === 1 ? "" : "s"} match.`);
  });
  filter.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    // Enter in the search box ticks the first matching code rather than posting the form
    event.preventDefault();
    const first = Array.from(document.querySelectorAll(".code-option")).find((o) => !o.hidden);
    if (first) {
      const box = first.querySelector("input");
      box.checked = true;
      box.focus();
      say(`Ticked ${first.textContent.trim()}. Press Apply to code the selection.`);
    }
  });

  // --- posting ------------------------------------------------------------------------------
  async function post(url, fields) {
    const body = new FormData();
    body.append("csrfmiddlewaretoken", csrf);
    for (const [k, v] of fields) body.append(k, v);
    let answer;
    try {
      const response = await fetch(url, {
        method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      answer = await response.json();
    } catch (error) {
      answer = { ok: false, problems: ["The change could not be sent; nothing was saved. Try again."] };
    }
    return answer;
  }

  function showProblems(answer) {
    result.textContent = "";
    const list = document.createElement("ul");
    for (const p of answer.problems || ["Something went wrong."]) {
      const li = document.createElement("li");
      li.textContent = p;
      list.append(li);
    }
    result.className = "qual-result error";
    result.append(list);
  }

  function reloadAt(answer, offset) {
    sessionStorage.setItem("balm-qual-flash", JSON.stringify(answer));
    location.hash = "at-" + offset;
    location.reload();
  }

  for (const form of [codingForm, noteForm]) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!selection) return showProblems({ problems: ["Select a passage first."] });
      const fields = Array.from(new FormData(form).entries()).filter(
        ([k]) => k !== "csrfmiddlewaretoken");
      if (form === noteForm) fields.push(["quote", textOf(selection.start, selection.end)]);
      const answer = await post(form.action, fields);
      if (answer.ok) reloadAt(answer, selection.start); else showProblems(answer);
    });
  }

  transcript.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-act]");
    if (!button) return;
    const item = button.closest("[data-start]");
    const start = Number(item.dataset.start), end = Number(item.dataset.end);
    if (button.dataset.act === "show") {
      choose(start, end);
      transcript.focus({ preventScroll: true });
      return;
    }
    if (button.dataset.act === "remove") {
      const answer = await post(button.dataset.url, []);
      if (answer.ok) reloadAt(answer, start); else showProblems(answer);
      return;
    }
    if (button.dataset.act === "resize") {
      if (!selection) return showProblems({ problems: ["Select the passage the coding should cover first."] });
      const answer = await post(button.dataset.url, [
        ["start", selection.start], ["end", selection.end],
        ["quote", textOf(selection.start, selection.end)],
        ["expected_start", start], ["expected_end", end],
      ]);
      if (answer.ok) reloadAt(answer, selection.start); else showProblems(answer);
    }
  });

  // --- after a change: say what happened, offer undo, go back to the passage ------------------
  const flash = sessionStorage.getItem("balm-qual-flash");
  if (flash) {
    sessionStorage.removeItem("balm-qual-flash");
    const answer = JSON.parse(flash);
    result.className = "qual-result ok";
    result.textContent = answer.message || "Saved.";
    if (answer.undo) {
      const undo = document.createElement("button");
      undo.type = "button";
      undo.className = "link-button";
      undo.textContent = "Undo";
      undo.addEventListener("click", async () => {
        const back = await post(answer.undo, []);
        if (back.ok) reloadAt(back, Number((location.hash.match(/at-(\d+)/) || [0, 0])[1]));
        else showProblems(back);
      });
      result.append(" ", undo);
    }
  }
  const at = location.hash.match(/^#at-(\d+)$/);
  if (at && segs.length) {
    const start = Number(at[1]);
    let end = start;
    while (end < length && !/\s/.test(chars[end])) end++;
    if (end > start) choose(start, end);
    transcript.focus({ preventScroll: true });
  }
})();
