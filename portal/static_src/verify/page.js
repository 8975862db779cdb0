// The "Verify in this browser" section of an attestation page: reads the keys the holder trusts, fetches the
// attestation (and the one before) from this origin's API, runs checks.js and shows every verdict.
//
// Event delegation on `document` and `htmx:load`: the section keeps working after htmx swaps it in.

import { FAIL, PASS, SKIP, previousOf, verifyAttestation } from "./checks.js";

const STORE = "reserves-portal.pinned-keys";
const HEX64 = /^[0-9a-fA-F]{64}$/;
// The address the holder sees is what is checked: never an id the server wrote into the page.
const PAGE_PATH = /^\/attestations\/([0-9a-f]{64})$/;
// A previous attestation this server does not serve (pruned, or never there): the link is not checked.
const NOT_SERVED = new Set([404, 410]);

class InputProblem extends Error {}

function keyProblem(text) {
  const shown = text.length <= 80 ? text : text.slice(0, 77) + "...";
  const hint = /^0[23][0-9a-fA-F]{64}$/.test(text) ? " (a 33-byte compressed key: drop its 02/03 prefix to get the x-only key)" : "";
  return `'${shown}' is not a BIP-340 x-only public key: expected 64 hex digits, got ${text.length} characters${hint}`;
}

// Engine keys from pasted text: hex keys (one per line, or separated by spaces or commas), a JSON list, or
// an /api/v1/keys answer (its guardian entries left out, as `reserves verify --keys` does).
export function parseKeys(text, where) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  let items;
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    let value;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new InputProblem(`${where}: not valid JSON`);
    }
    items = Array.isArray(value) ? value : value && value.keys;
    if (!Array.isArray(items)) throw new InputProblem(`${where}: expected {"keys": [...]} or a list of keys`);
    items = items.filter((k) => !(k && typeof k === "object" && k.role === "guardian"));
  } else {
    items = trimmed.split(/[\s,]+/);
  }
  if (!items.length) throw new InputProblem(`${where}: holds no engine key`);
  const keys = new Map();
  items.forEach((item, i) => {
    const pubkey = typeof item === "string" ? item : item && typeof item.pubkey === "string" ? item.pubkey : null;
    if (pubkey === null) throw new InputProblem(`${where}: key entry ${i} has no pubkey`);
    if (!HEX64.test(pubkey)) throw new InputProblem(`${where}: ${keyProblem(pubkey)}`);
    keys.set(pubkey.toLowerCase(), typeof item === "string" ? "pinned" : String(item.key_id || "pinned"));
  });
  return keys;
}

// The id in this page's URL, or an InputProblem: without it there is nothing to hold the document to.
export function idFromPath(pathname) {
  const match = PAGE_PATH.exec(pathname);
  if (!match) {
    const shown = pathname.length <= 100 ? pathname : pathname.slice(0, 97) + "...";
    throw new InputProblem(`this page's address ${shown} is not /attestations/<64 lowercase hex digits>, so there is no id to check against`);
  }
  return match[1];
}

async function fetchText(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", redirect: "error" });
  return response.ok ? { text: await response.text() } : { status: response.status };
}

async function getText(url) {
  const got = await fetchText(url);
  if (got.text === undefined) throw new InputProblem(`GET ${url}: HTTP ${got.status}`);
  return got.text;
}

// ---- the figures of the document verified, from its own JSON (never from the page) ----

const shortText = (v) => {
  const text = typeof v === "string" ? v : v !== null && typeof v === "object" && "text" in v ? String(v.text) : JSON.stringify(v) ?? String(v);
  return text.length <= 100 ? text : text.slice(0, 97) + "...";
};
const DIGITS = /^(0|[1-9][0-9]*)$/;
const grouped = (n) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");

// display.btc: satoshis as an exact BTC string, 8 places, thousands grouped.
function btc(sat) {
  if (typeof sat !== "string" || !DIGITS.test(sat)) return shortText(sat);
  const n = BigInt(sat);
  return `${grouped(n / 100000000n)}.${(n % 100000000n).toString().padStart(8, "0")} BTC (${sat} sat)`;
}

// display.percent: basis points as a percentage with two decimals, floor.
function percent(bp) {
  if (bp === null) return "no ratio (null)";
  if (typeof bp !== "string" || !DIGITS.test(bp)) return shortText(bp);
  const n = BigInt(bp);
  return `${grouped(n / 100n)}.${(n % 100n).toString().padStart(2, "0")}% (${bp} bp)`;
}

const member = (v, ...path) => path.reduce((x, k) => (x !== null && typeof x === "object" && k in x ? x[k] : undefined), v);

export function figuresOf(doc, id) {
  const get = (...path) => {
    const v = member(doc, ...path);
    return v === undefined ? "(missing)" : v;
  };
  return [
    ["id", "Id (computed)", id === null ? "not computed" : id],
    ["sequence", "Sequence", shortText(get("sequence"))],
    ["issued_at", "Issued at", shortText(get("issued_at"))],
    ["status", "Status", shortText(get("status"))],
    ["ratio", "Ratio", get("ratio_bp") === "(missing)" ? "(missing)" : percent(get("ratio_bp"))],
    ["reserves", "Reserves total", btc(get("reserves", "total_sat"))],
    ["supply", "Supply total", btc(get("supply", "total_sat"))],
  ];
}

function showFigures(root, doc, id) {
  const table = $(root, "document");
  if (!table) return;
  table.hidden = doc === null;
  if (doc === null) return table.tBodies[0].replaceChildren();
  table.tBodies[0].replaceChildren(
    ...figuresOf(doc, id).map(([field, label, value]) => {
      const tr = document.createElement("tr");
      tr.dataset.field = field;
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = label;
      const td = document.createElement("td");
      td.textContent = value;
      tr.append(th, td);
      return tr;
    }),
  );
}

const $ = (root, name) => root.querySelector(`[data-verify-${name}]`);

function remembered() {
  try {
    return window.localStorage.getItem(STORE);
  } catch {
    return null; // storage refused (private mode, policy): nothing is remembered
  }
}

function remember(root, text) {
  try {
    if ($(root, "remember").checked && text.trim()) window.localStorage.setItem(STORE, text.trim());
    else window.localStorage.removeItem(STORE);
  } catch {
    // nothing to do: the keys are used for this check all the same
  }
}

function init(root) {
  if (root.dataset.verifyReady) return;
  root.dataset.verifyReady = "true";
  $(root, "nojs").hidden = true;
  $(root, "form").hidden = false;
  const saved = remembered();
  if (saved) {
    const area = $(root, "pinned");
    if (!area.value.trim()) area.value = saved;
    $(root, "remember").checked = true;
  }
}

function initAll() {
  document.querySelectorAll("[data-verifier]").forEach(init);
}

function row(check) {
  const tr = document.createElement("tr");
  tr.dataset.check = check.name;
  tr.dataset.verdict = check.verdict;
  const th = document.createElement("th");
  th.scope = "row";
  th.textContent = check.name;
  const verdict = document.createElement("td");
  verdict.className = "verdict verdict-" + (check.verdict === SKIP ? "skip" : check.verdict);
  verdict.textContent = check.verdict;
  const detail = document.createElement("td");
  detail.textContent = check.detail;
  tr.append(th, verdict, detail);
  return tr;
}

function show(root, verdict, text, checks, fetched) {
  const overall = $(root, "overall");
  overall.dataset.verdict = verdict;
  overall.className = "verify-overall verdict-" + verdict;
  overall.textContent = text;
  $(root, "warning").hidden = !fetched;
  const table = $(root, "checks");
  table.tBodies[0].replaceChildren(...checks.map(row));
  table.hidden = checks.length === 0;
  root.removeAttribute("aria-busy");
}

async function run(root) {
  const fetched = root.querySelector("input[name=verify-keys]:checked")?.value === "fetched";
  root.setAttribute("aria-busy", "true");
  delete $(root, "overall").dataset.verdict;
  $(root, "overall").textContent = "Verifying…";
  showFigures(root, null, null);
  try {
    // Not the data-attestation-id attribute: a server could write an older, genuinely signed id there under made-up figures.
    const id = idFromPath(window.location.pathname);
    let trusted;
    let keysNote;
    if (fetched) {
      trusted = parseKeys(await getText("/api/v1/keys"), "/api/v1/keys");
      keysNote = `keys fetched from /api/v1/keys (${trusted ? trusted.size : 0})`;
    } else {
      const text = $(root, "pinned").value;
      trusted = parseKeys(text, "pinned keys");
      remember(root, text);
      keysNote = trusted ? `${trusted.size} pinned key(s)` : "no key pinned";
    }
    const current = { text: await getText(`/api/v1/attestations/${id}`), id };
    const previousId = previousOf(current.text);
    let previous = null;
    if (previousId) {
      const got = await fetchText(`/api/v1/attestations/${previousId}`);
      if (got.text !== undefined) previous = { text: got.text, id: previousId };
      else if (NOT_SERVED.has(got.status)) previous = { id: previousId, missing: `HTTP ${got.status}` };
      else throw new InputProblem(`GET /api/v1/attestations/${previousId}: HTTP ${got.status}`);
    }
    const options = { allowPending: $(root, "allow-pending").checked };
    const report = verifyAttestation({ current, previous, trusted, options });
    const failed = report.checks.filter((c) => c.verdict === FAIL);
    const passed = report.checks.filter((c) => c.verdict === PASS).length;
    const skipped = report.checks.length - passed - failed.length;
    const unlinked = previous && previous.missing ? " The link to the previous attestation was not checked: it is not served here." : "";
    const what = report.document ? " Compare the figures of the document verified, below, with this page's." : "";
    const text = report.ok
      ? `Verified with ${keysNote}: all ${passed} checks this page runs hold (${skipped} not checked here).${unlinked}${what}`
      : `FAILED with ${keysNote}: ${failed.length} check(s) failed: ${failed.map((c) => c.name).join(", ")}.${unlinked}${what}`;
    show(root, report.ok ? PASS : FAIL, text, report.checks, fetched);
    showFigures(root, report.document, report.id);
  } catch (exc) {
    const why = exc instanceof InputProblem ? exc.message : `${exc.name}: ${exc.message}`;
    show(root, "error", `Could not verify: ${why}`, [], fetched);
  }
}

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-verify-run]") : null;
  const root = button && button.closest("[data-verifier]");
  if (root) run(root);
});
document.addEventListener("htmx:load", initAll);
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initAll);
else initAll();
