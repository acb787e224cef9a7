// The classroom page: follows the session through one event stream and shows the
// packet the viewer picks, as the terminal draws it. Every word and every value
// comes from rawlab (the dump is rawlab's own HTML, the JSON its own description);
// this script only lays them out and links bytes to fields. It can change nothing:
// the server answers nothing but reads.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const withToken = (path) => token ? path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : path;
const $ = (id) => document.getElementById(id);
let selected = null;
let wanted = 0; // the newest request for a packet: older answers are dropped
const seen = new Set(); // packets listed (a reconnected stream sends them again)

function addPacket(p) {
  if (seen.has(p.no)) return;
  seen.add(p.no);
  const li = document.createElement("li");
  li.dataset.no = p.no;
  li.textContent = p.line;
  if (!p.own) li.classList.add("other");
  li.addEventListener("click", () => { $("follow").checked = false; select(p.no); });
  $("list").appendChild(li);
  while ($("list").children.length > 5000) $("list").firstChild.remove();
  if ($("follow").checked && p.own) {
    select(p.no);
    li.scrollIntoView({ block: "nearest" });
  }
}

// Shows packet `no`. Two answers may cross (the session sends #1 and #2 at once):
// only the newest request's is shown, checked after every wait, since an older
// answer's body can arrive after a newer one has been drawn.
async function select(no) {
  const ask = ++wanted;
  let v, failed = null;
  try {
    const r = await fetch(withToken("/api/packet/" + no));
    v = r.ok ? await r.json() : null;
    if (!r.ok) failed = await r.text();
  } catch (e) {
    failed = "packet #" + no + " did not come: " + e + " (is the session still running?)";
  }
  if (ask !== wanted) return;
  if (failed !== null) { $("dump").textContent = failed; return; }
  selected = no;
  for (const li of $("list").children) li.classList.toggle("selected", Number(li.dataset.no) === no);
  $("dump").innerHTML = v.html || "";
  if (!v.html) $("dump").textContent = v.line + "\n(another program's traffic: not this session's to show)";
  $("dump").dataset.no = no;
  relations(v.packet || {});
  $("info").textContent = "";
}

// Links to the packets this one is related to, from its JSON keys.
function relations(p) {
  const box = $("relations");
  box.textContent = "";
  const link = (words, no) => {
    const a = document.createElement("a");
    a.textContent = words + " #" + no;
    a.addEventListener("click", () => { $("follow").checked = false; select(no); });
    box.appendChild(a);
  };
  if (p.reply_to) link("reply to", p.reply_to);
  if (p.copy_of) link("copy of", p.copy_of);
  if (p.error_about) link("error about", p.error_about);
  if (p.twin_of) link("twin of", p.twin_of);
  if (p.resets) link("resets", p.resets);
  for (const f of p.fragments || []) link("fragment", f);
}

function clearMarks() {
  for (const e of $("dump").querySelectorAll(".hl")) e.classList.remove("hl");
}

function bitsOf(row) {
  // A field of bits: its byte's bits, those of the field lit.
  const pattern = row.dataset.bits;
  if (!pattern) return null;
  const s = Number(row.dataset.s);
  const byte = $("dump").querySelector('.b[data-i="' + s + '"]');
  if (!byte) return null;
  const div = document.createElement("div");
  div.append("bits of byte " + s + ": ");
  const value = parseInt(byte.textContent, 16);
  const marks = pattern.replace(/ /g, "");
  for (let k = 0; k < 8 && k < marks.length; k++) {
    const span = document.createElement("span");
    span.className = "bit" + (marks[k] !== "." ? " on" : "");
    span.textContent = (value >> (7 - k)) & 1;
    div.appendChild(span);
    if (k === 3) div.append(" ");
  }
  return div;
}

function showField(row) {
  clearMarks();
  row.classList.add("hl");
  const s = Number(row.dataset.s), e = Number(row.dataset.e);
  for (const b of $("dump").querySelectorAll(".b, .a")) {
    const i = Number(b.dataset.i);
    if (i >= s && i < e) b.classList.add("hl");
  }
  $("info").textContent = row.textContent.trim() + "\nbytes " + s + (e - s > 1 ? "–" + (e - 1) : "");
  const bits = bitsOf(row);
  if (bits) $("info").appendChild(bits);
}

$("dump").addEventListener("mouseover", (ev) => {
  const cell = ev.target.closest(".b, .a");
  if (cell) {
    const n = cell.dataset.n;
    clearMarks();
    const i = cell.dataset.i;
    for (const b of $("dump").querySelectorAll('[data-i="' + i + '"]')) b.classList.add("hl");
    const row = n === undefined ? null : $("dump").querySelector('.fl[data-n="' + n + '"]');
    if (row) {
      showField(row);
      for (const b of $("dump").querySelectorAll('[data-i="' + i + '"]')) b.classList.add("hl");
    } else {
      $("info").textContent = "byte " + i + ": no field covers it";
    }
    return;
  }
  const row = ev.target.closest(".fl");
  if (row) showField(row);
});

// At the projector: ↑ and ↓ go through the packets, Esc follows the session again.
document.addEventListener("keydown", (ev) => {
  const items = [...$("list").children].filter((li) => !li.classList.contains("other"));
  const at = items.findIndex((li) => Number(li.dataset.no) === selected);
  if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    const next = items[at + (ev.key === "ArrowDown" ? 1 : -1)];
    if (next) {
      $("follow").checked = false;
      select(Number(next.dataset.no));
      next.scrollIntoView({ block: "nearest" });
    }
    ev.preventDefault();
  } else if (ev.key === "Escape") {
    $("follow").checked = true;
    const last = items[items.length - 1];
    if (last) select(Number(last.dataset.no));
  }
});

function terminal(html) {
  const t = $("terminal");
  const atEnd = t.scrollTop + t.clientHeight >= t.scrollHeight - 4;
  const span = document.createElement("span");
  span.innerHTML = html;
  t.appendChild(span);
  while (t.children.length > 2000) t.firstChild.remove();
  if (atEnd) t.scrollTop = t.scrollHeight;
}

function connect() {
  const last = $("list").lastChild;
  const since = last ? last.dataset.no : 0;
  const es = new EventSource(withToken("/api/events?since=" + since));
  es.addEventListener("open", () => {
    $("status").textContent = "following the session";
    // The stream begins with the terminal's kept output, again after a reconnection.
    $("terminal").textContent = "";
  });
  es.addEventListener("packet", (e) => addPacket(JSON.parse(e.data)));
  es.addEventListener("terminal", (e) => terminal(JSON.parse(e.data).html));
  es.addEventListener("reset", () => { seen.clear(); $("list").textContent = ""; $("dump").textContent = ""; $("relations").textContent = ""; });
  es.addEventListener("error", () => { $("status").textContent = "the session is not answering (it may have ended)"; });
}

connect();
