// Browser verifier of reserves attestations: built by scripts/build-verifier.mjs; do not edit.
(() => {
  // node_modules/@noble/hashes/utils.js
  /*! noble-hashes - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  function isBytes(a) {
    return a instanceof Uint8Array || ArrayBuffer.isView(a) && a.constructor.name === "Uint8Array";
  }
  function anumber(n, title = "") {
    if (!Number.isSafeInteger(n) || n < 0) {
      const prefix = title && `"${title}" `;
      throw new Error(`${prefix}expected integer >= 0, got ${n}`);
    }
  }
  function abytes(value, length, title = "") {
    const bytes = isBytes(value);
    const len = value?.length;
    const needsLen = length !== void 0;
    if (!bytes || needsLen && len !== length) {
      const prefix = title && `"${title}" `;
      const ofLen = needsLen ? ` of length ${length}` : "";
      const got = bytes ? `length=${len}` : `type=${typeof value}`;
      throw new Error(prefix + "expected Uint8Array" + ofLen + ", got " + got);
    }
    return value;
  }
  function ahash(h) {
    if (typeof h !== "function" || typeof h.create !== "function")
      throw new Error("Hash must wrapped by utils.createHasher");
    anumber(h.outputLen);
    anumber(h.blockLen);
  }
  function aexists(instance, checkFinished = true) {
    if (instance.destroyed)
      throw new Error("Hash instance has been destroyed");
    if (checkFinished && instance.finished)
      throw new Error("Hash#digest() has already been called");
  }
  function aoutput(out, instance) {
    abytes(out, void 0, "digestInto() output");
    const min = instance.outputLen;
    if (out.length < min) {
      throw new Error('"digestInto() output" expected to be of length >=' + min);
    }
  }
  function u32(arr) {
    return new Uint32Array(arr.buffer, arr.byteOffset, Math.floor(arr.byteLength / 4));
  }
  function clean(...arrays) {
    for (let i = 0; i < arrays.length; i++) {
      arrays[i].fill(0);
    }
  }
  function createView(arr) {
    return new DataView(arr.buffer, arr.byteOffset, arr.byteLength);
  }
  function rotr(word2, shift) {
    return word2 << 32 - shift | word2 >>> shift;
  }
  var isLE = /* @__PURE__ */ (() => new Uint8Array(new Uint32Array([287454020]).buffer)[0] === 68)();
  function byteSwap(word2) {
    return word2 << 24 & 4278190080 | word2 << 8 & 16711680 | word2 >>> 8 & 65280 | word2 >>> 24 & 255;
  }
  function byteSwap32(arr) {
    for (let i = 0; i < arr.length; i++) {
      arr[i] = byteSwap(arr[i]);
    }
    return arr;
  }
  var swap32IfBE = isLE ? (u) => u : byteSwap32;
  var hasHexBuiltin = /* @__PURE__ */ (() => (
    // @ts-ignore
    typeof Uint8Array.from([]).toHex === "function" && typeof Uint8Array.fromHex === "function"
  ))();
  var hexes = /* @__PURE__ */ Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
  function bytesToHex(bytes) {
    abytes(bytes);
    if (hasHexBuiltin)
      return bytes.toHex();
    let hex = "";
    for (let i = 0; i < bytes.length; i++) {
      hex += hexes[bytes[i]];
    }
    return hex;
  }
  var asciis = { _0: 48, _9: 57, A: 65, F: 70, a: 97, f: 102 };
  function asciiToBase16(ch) {
    if (ch >= asciis._0 && ch <= asciis._9)
      return ch - asciis._0;
    if (ch >= asciis.A && ch <= asciis.F)
      return ch - (asciis.A - 10);
    if (ch >= asciis.a && ch <= asciis.f)
      return ch - (asciis.a - 10);
    return;
  }
  function hexToBytes(hex) {
    if (typeof hex !== "string")
      throw new Error("hex string expected, got " + typeof hex);
    if (hasHexBuiltin)
      return Uint8Array.fromHex(hex);
    const hl = hex.length;
    const al = hl / 2;
    if (hl % 2)
      throw new Error("hex string expected, got unpadded hex of length " + hl);
    const array = new Uint8Array(al);
    for (let ai = 0, hi = 0; ai < al; ai++, hi += 2) {
      const n1 = asciiToBase16(hex.charCodeAt(hi));
      const n2 = asciiToBase16(hex.charCodeAt(hi + 1));
      if (n1 === void 0 || n2 === void 0) {
        const char = hex[hi] + hex[hi + 1];
        throw new Error('hex string expected, got non-hex character "' + char + '" at index ' + hi);
      }
      array[ai] = n1 * 16 + n2;
    }
    return array;
  }
  function concatBytes(...arrays) {
    let sum = 0;
    for (let i = 0; i < arrays.length; i++) {
      const a = arrays[i];
      abytes(a);
      sum += a.length;
    }
    const res = new Uint8Array(sum);
    for (let i = 0, pad = 0; i < arrays.length; i++) {
      const a = arrays[i];
      res.set(a, pad);
      pad += a.length;
    }
    return res;
  }
  function createHasher(hashCons, info = {}) {
    const hashC = (msg, opts) => hashCons(opts).update(msg).digest();
    const tmp = hashCons(void 0);
    hashC.outputLen = tmp.outputLen;
    hashC.blockLen = tmp.blockLen;
    hashC.create = (opts) => hashCons(opts);
    Object.assign(hashC, info);
    return Object.freeze(hashC);
  }
  function randomBytes(bytesLength = 32) {
    const cr = typeof globalThis === "object" ? globalThis.crypto : null;
    if (typeof cr?.getRandomValues !== "function")
      throw new Error("crypto.getRandomValues must be defined");
    return cr.getRandomValues(new Uint8Array(bytesLength));
  }
  var oidNist = (suffix) => ({
    oid: Uint8Array.from([6, 9, 96, 134, 72, 1, 101, 3, 4, 2, suffix])
  });

  // node_modules/@noble/hashes/_md.js
  function Chi(a, b, c) {
    return a & b ^ ~a & c;
  }
  function Maj(a, b, c) {
    return a & b ^ a & c ^ b & c;
  }
  var HashMD = class {
    blockLen;
    outputLen;
    padOffset;
    isLE;
    // For partial updates less than block size
    buffer;
    view;
    finished = false;
    length = 0;
    pos = 0;
    destroyed = false;
    constructor(blockLen, outputLen, padOffset, isLE2) {
      this.blockLen = blockLen;
      this.outputLen = outputLen;
      this.padOffset = padOffset;
      this.isLE = isLE2;
      this.buffer = new Uint8Array(blockLen);
      this.view = createView(this.buffer);
    }
    update(data) {
      aexists(this);
      abytes(data);
      const { view, buffer, blockLen } = this;
      const len = data.length;
      for (let pos = 0; pos < len; ) {
        const take = Math.min(blockLen - this.pos, len - pos);
        if (take === blockLen) {
          const dataView = createView(data);
          for (; blockLen <= len - pos; pos += blockLen)
            this.process(dataView, pos);
          continue;
        }
        buffer.set(data.subarray(pos, pos + take), this.pos);
        this.pos += take;
        pos += take;
        if (this.pos === blockLen) {
          this.process(view, 0);
          this.pos = 0;
        }
      }
      this.length += data.length;
      this.roundClean();
      return this;
    }
    digestInto(out) {
      aexists(this);
      aoutput(out, this);
      this.finished = true;
      const { buffer, view, blockLen, isLE: isLE2 } = this;
      let { pos } = this;
      buffer[pos++] = 128;
      clean(this.buffer.subarray(pos));
      if (this.padOffset > blockLen - pos) {
        this.process(view, 0);
        pos = 0;
      }
      for (let i = pos; i < blockLen; i++)
        buffer[i] = 0;
      view.setBigUint64(blockLen - 8, BigInt(this.length * 8), isLE2);
      this.process(view, 0);
      const oview = createView(out);
      const len = this.outputLen;
      if (len % 4)
        throw new Error("_sha2: outputLen must be aligned to 32bit");
      const outLen = len / 4;
      const state = this.get();
      if (outLen > state.length)
        throw new Error("_sha2: outputLen bigger than state");
      for (let i = 0; i < outLen; i++)
        oview.setUint32(4 * i, state[i], isLE2);
    }
    digest() {
      const { buffer, outputLen } = this;
      this.digestInto(buffer);
      const res = buffer.slice(0, outputLen);
      this.destroy();
      return res;
    }
    _cloneInto(to) {
      to ||= new this.constructor();
      to.set(...this.get());
      const { blockLen, buffer, length, finished, destroyed, pos } = this;
      to.destroyed = destroyed;
      to.finished = finished;
      to.length = length;
      to.pos = pos;
      if (length % blockLen)
        to.buffer.set(buffer);
      return to;
    }
    clone() {
      return this._cloneInto();
    }
  };
  var SHA256_IV = /* @__PURE__ */ Uint32Array.from([
    1779033703,
    3144134277,
    1013904242,
    2773480762,
    1359893119,
    2600822924,
    528734635,
    1541459225
  ]);

  // node_modules/@noble/hashes/_u64.js
  var U32_MASK64 = /* @__PURE__ */ BigInt(2 ** 32 - 1);
  var _32n = /* @__PURE__ */ BigInt(32);
  function fromBig(n, le = false) {
    if (le)
      return { h: Number(n & U32_MASK64), l: Number(n >> _32n & U32_MASK64) };
    return { h: Number(n >> _32n & U32_MASK64) | 0, l: Number(n & U32_MASK64) | 0 };
  }
  function split(lst, le = false) {
    const len = lst.length;
    let Ah = new Uint32Array(len);
    let Al = new Uint32Array(len);
    for (let i = 0; i < len; i++) {
      const { h, l } = fromBig(lst[i], le);
      [Ah[i], Al[i]] = [h, l];
    }
    return [Ah, Al];
  }
  var rotlSH = (h, l, s) => h << s | l >>> 32 - s;
  var rotlSL = (h, l, s) => l << s | h >>> 32 - s;
  var rotlBH = (h, l, s) => l << s - 32 | h >>> 64 - s;
  var rotlBL = (h, l, s) => h << s - 32 | l >>> 64 - s;

  // node_modules/@noble/hashes/sha2.js
  var SHA256_K = /* @__PURE__ */ Uint32Array.from([
    1116352408,
    1899447441,
    3049323471,
    3921009573,
    961987163,
    1508970993,
    2453635748,
    2870763221,
    3624381080,
    310598401,
    607225278,
    1426881987,
    1925078388,
    2162078206,
    2614888103,
    3248222580,
    3835390401,
    4022224774,
    264347078,
    604807628,
    770255983,
    1249150122,
    1555081692,
    1996064986,
    2554220882,
    2821834349,
    2952996808,
    3210313671,
    3336571891,
    3584528711,
    113926993,
    338241895,
    666307205,
    773529912,
    1294757372,
    1396182291,
    1695183700,
    1986661051,
    2177026350,
    2456956037,
    2730485921,
    2820302411,
    3259730800,
    3345764771,
    3516065817,
    3600352804,
    4094571909,
    275423344,
    430227734,
    506948616,
    659060556,
    883997877,
    958139571,
    1322822218,
    1537002063,
    1747873779,
    1955562222,
    2024104815,
    2227730452,
    2361852424,
    2428436474,
    2756734187,
    3204031479,
    3329325298
  ]);
  var SHA256_W = /* @__PURE__ */ new Uint32Array(64);
  var SHA2_32B = class extends HashMD {
    constructor(outputLen) {
      super(64, outputLen, 8, false);
    }
    get() {
      const { A, B, C, D, E, F, G, H } = this;
      return [A, B, C, D, E, F, G, H];
    }
    // prettier-ignore
    set(A, B, C, D, E, F, G, H) {
      this.A = A | 0;
      this.B = B | 0;
      this.C = C | 0;
      this.D = D | 0;
      this.E = E | 0;
      this.F = F | 0;
      this.G = G | 0;
      this.H = H | 0;
    }
    process(view, offset) {
      for (let i = 0; i < 16; i++, offset += 4)
        SHA256_W[i] = view.getUint32(offset, false);
      for (let i = 16; i < 64; i++) {
        const W15 = SHA256_W[i - 15];
        const W2 = SHA256_W[i - 2];
        const s0 = rotr(W15, 7) ^ rotr(W15, 18) ^ W15 >>> 3;
        const s1 = rotr(W2, 17) ^ rotr(W2, 19) ^ W2 >>> 10;
        SHA256_W[i] = s1 + SHA256_W[i - 7] + s0 + SHA256_W[i - 16] | 0;
      }
      let { A, B, C, D, E, F, G, H } = this;
      for (let i = 0; i < 64; i++) {
        const sigma1 = rotr(E, 6) ^ rotr(E, 11) ^ rotr(E, 25);
        const T1 = H + sigma1 + Chi(E, F, G) + SHA256_K[i] + SHA256_W[i] | 0;
        const sigma0 = rotr(A, 2) ^ rotr(A, 13) ^ rotr(A, 22);
        const T2 = sigma0 + Maj(A, B, C) | 0;
        H = G;
        G = F;
        F = E;
        E = D + T1 | 0;
        D = C;
        C = B;
        B = A;
        A = T1 + T2 | 0;
      }
      A = A + this.A | 0;
      B = B + this.B | 0;
      C = C + this.C | 0;
      D = D + this.D | 0;
      E = E + this.E | 0;
      F = F + this.F | 0;
      G = G + this.G | 0;
      H = H + this.H | 0;
      this.set(A, B, C, D, E, F, G, H);
    }
    roundClean() {
      clean(SHA256_W);
    }
    destroy() {
      this.set(0, 0, 0, 0, 0, 0, 0, 0);
      clean(this.buffer);
    }
  };
  var _SHA256 = class extends SHA2_32B {
    // We cannot use array here since array allows indexing by variable
    // which means optimizer/compiler cannot use registers.
    A = SHA256_IV[0] | 0;
    B = SHA256_IV[1] | 0;
    C = SHA256_IV[2] | 0;
    D = SHA256_IV[3] | 0;
    E = SHA256_IV[4] | 0;
    F = SHA256_IV[5] | 0;
    G = SHA256_IV[6] | 0;
    H = SHA256_IV[7] | 0;
    constructor() {
      super(32);
    }
  };
  var sha256 = /* @__PURE__ */ createHasher(
    () => new _SHA256(),
    /* @__PURE__ */ oidNist(1)
  );

  // portal/static_src/verify/json.js
  var MAX_PARSE_DEPTH = 256;
  var MAX_DEPTH = 64;
  var MAX_SAFE = Number.MAX_SAFE_INTEGER;
  var JsonError = class extends Error {
    constructor(detail) {
      super(detail);
      this.detail = detail;
    }
  };
  var Unsafe = class {
    constructor(text, kind) {
      this.text = text;
      this.kind = kind;
    }
  };
  var LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  var NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
  var ESCAPES = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "	" };
  function parseJson(text) {
    let i = 0;
    const fail = (what) => {
      throw new JsonError(`not valid JSON: ${what} at character ${i}`);
    };
    const ws = () => {
      while (i < text.length && " 	\n\r".includes(text[i])) i++;
    };
    const string = () => {
      i++;
      let out = "";
      for (; ; ) {
        if (i >= text.length) fail("unterminated string");
        const c = text[i];
        if (c === '"') {
          i++;
          return out;
        }
        if (c < " ") fail("control character in string");
        if (c !== "\\") {
          out += c;
          i++;
          continue;
        }
        const e = text[i + 1];
        if (e === "u") {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else if (e in ESCAPES) {
          out += ESCAPES[e];
          i += 2;
        } else fail("bad escape");
      }
    };
    const value = (depth) => {
      ws();
      const c = text[i];
      if (c === "{" || c === "[") {
        if (depth + 1 > MAX_PARSE_DEPTH) throw new JsonError(`JSON nested too deeply (more than ${MAX_PARSE_DEPTH} levels)`);
        i++;
        ws();
        if (c === "[") {
          const arr = [];
          if (text[i] === "]") return i++, arr;
          for (; ; ) {
            arr.push(value(depth + 1));
            ws();
            if (text[i] === ",") i++;
            else if (text[i] === "]") return i++, arr;
            else fail("expected , or ]");
          }
        }
        const obj = {};
        if (text[i] === "}") return i++, obj;
        for (; ; ) {
          ws();
          if (text[i] !== '"') fail("expected a key");
          const key = string();
          ws();
          if (text[i] !== ":") fail("expected :");
          i++;
          if (Object.prototype.hasOwnProperty.call(obj, key)) throw new JsonError("not valid JSON: duplicate object key");
          Object.defineProperty(obj, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
          ws();
          if (text[i] === ",") i++;
          else if (text[i] === "}") return i++, obj;
          else fail("expected , or }");
        }
      }
      if (c === '"') return string();
      if (text.startsWith("true", i)) return i += 4, true;
      if (text.startsWith("false", i)) return i += 5, false;
      if (text.startsWith("null", i)) return i += 4, null;
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) fail("unexpected character");
      i += m[0].length;
      if (m[1] !== void 0 || m[2] !== void 0) return new Unsafe(m[0], "float");
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : new Unsafe(m[0], "int");
    };
    const result = value(0);
    ws();
    if (i !== text.length) fail("extra data");
    return result;
  }
  function domainProblem(v, path = "$", depth = 0) {
    if (depth > MAX_DEPTH) return `${path}: nested deeper than ${MAX_DEPTH} levels`;
    if (v instanceof Unsafe) {
      return v.kind === "float" ? `${path}: floats are not allowed; amounts are decimal strings` : `${path}: integer outside the JSON-safe range; amounts are decimal strings`;
    }
    if (typeof v === "string") return LONE_SURROGATE.test(v) ? `${path}: string is not valid Unicode` : null;
    if (Array.isArray(v)) {
      for (let k = 0; k < v.length; k++) {
        const p = domainProblem(v[k], `${path}[${k}]`, depth + 1);
        if (p) return p;
      }
      return null;
    }
    if (v !== null && typeof v === "object") {
      for (const [key, item] of Object.entries(v)) {
        if (LONE_SURROGATE.test(key)) return `${path}: string is not valid Unicode`;
        const p = domainProblem(item, `${path}.${key.slice(0, 40)}`, depth + 1);
        if (p) return p;
      }
    }
    return null;
  }
  function jcs(v) {
    if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new JsonError("cannot canonicalise a non-integer number");
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
    if (typeof v === "object" && !(v instanceof Unsafe)) {
      const keys = Object.keys(v).sort();
      return "{" + keys.map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}";
    }
    throw new JsonError("cannot canonicalise this value");
  }
  function bodyOf(document2) {
    const body = {};
    for (const [k, v] of Object.entries(document2)) {
      if (k !== "signatures") Object.defineProperty(body, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return body;
  }

  // portal/static_src/verify/rules.js
  var BP_SCALE = 10000n;
  var UNDER_BP = 10000n;
  var SAT_PER_BTC = 100000000n;
  var MAX_DECIMALS = 77;
  var MAX_HYSTERESIS_BP = 5e3;
  var MAX_WINDOW_BLOCKS = 52560;
  var MAX_FUTURE_BLOCK_SECONDS = 7200;
  var MAX_REASON = 1e3;
  var LOCKED = ["lockbox", "escrow"];
  var RANK = { undercollateralized: 0, warning: 1, healthy: 2 };
  var Problem = class extends Error {
    constructor(detail) {
      super(detail);
      this.detail = detail;
    }
  };
  var NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;
  var ESCAPED = { "\\": "\\\\", "	": "\\t", "\n": "\\n", "\r": "\\r" };
  function strRepr(text) {
    const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
    let out = quote;
    for (const ch of text) {
      const code = ch.codePointAt(0);
      if (ch === quote) out += "\\" + ch;
      else if (Object.hasOwn(ESCAPED, ch)) out += ESCAPED[ch];
      else if (code < 32 || code === 127) out += "\\x" + code.toString(16).padStart(2, "0");
      else if (code < 127 || !NOT_PRINTABLE.test(ch)) out += ch;
      else if (code <= 255) out += "\\x" + code.toString(16).padStart(2, "0");
      else if (code <= 65535) out += "\\u" + code.toString(16).padStart(4, "0");
      else out += "\\U" + code.toString(16).padStart(8, "0");
    }
    return out + quote;
  }
  function pyRepr(v) {
    if (v === null || v === void 0) return "None";
    if (v === true || v === false) return v ? "True" : "False";
    if (typeof v === "string") return strRepr(v);
    if (Array.isArray(v)) return "[" + v.map(pyRepr).join(", ") + "]";
    if (typeof v === "object") return "{" + Object.entries(v).map(([k, x]) => `${strRepr(k)}: ${pyRepr(x)}`).join(", ") + "}";
    return String(v);
  }
  var pyStr = (v) => typeof v === "string" ? v : pyRepr(v);
  var repr = (v) => pyRepr(Array.from(pyStr(v)).slice(0, 40).join(""));
  var TIMESTAMP = /^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;
  function formatTimestamp(seconds2) {
    return new Date(seconds2 * 1e3).toISOString().replace(/\.[0-9]{3}Z$/, "Z");
  }
  function parseTimestamp(text) {
    const ms = typeof text === "string" && TIMESTAMP.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(ms) || formatTimestamp(ms / 1e3) !== text) {
      throw new Problem(`not a YYYY-MM-DDTHH:MM:SSZ timestamp: ${repr(text)}`);
    }
    return ms / 1e3;
  }
  var isInt = (v) => typeof v === "number" && Number.isInteger(v);
  var sumBig = (xs) => xs.reduce((a, b) => a + b, 0n);
  var maxBig = (a, b) => a > b ? a : b;
  function liabilitiesSat(totalSupply, decimals) {
    if (totalSupply < 0n) throw new Problem("total_supply must be a non-negative integer");
    if (!isInt(decimals) || decimals < 0) throw new Problem("decimals must be a non-negative integer");
    if (decimals > MAX_DECIMALS) throw new Problem(`decimals must be at most ${MAX_DECIMALS}`);
    const d = 10n ** BigInt(decimals);
    return (totalSupply * SAT_PER_BTC + d - 1n) / d;
  }
  function ratioBp(reserves, liabilities) {
    return liabilities === 0n ? null : reserves * BP_SCALE / liabilities;
  }
  function readPolicy(member2) {
    const p = {
      warning_below_bp: BigInt(member2.warning_below_bp),
      count_locked: "count_locked" in member2 ? member2.count_locked : true,
      hysteresis_bp: 0n,
      window_blocks: 144
    };
    const ranges = [];
    if ("hysteresis_bp" in member2) {
      p.hysteresis_bp = BigInt(member2.hysteresis_bp);
      p.window_blocks = member2.window_blocks;
      ranges.push(
        ["hysteresis_bp", Number(p.hysteresis_bp), 0, MAX_HYSTERESIS_BP],
        ["window_blocks", member2.window_blocks, 1, MAX_WINDOW_BLOCKS],
        ["flow_flag_bp", Number(BigInt(member2.flow_flag_bp)), 1, 1e6],
        ["recent_blocks", member2.recent_blocks, 1, MAX_WINDOW_BLOCKS]
      );
    }
    if (p.warning_below_bp < 0n) throw new Problem("warning_below_bp must be a non-negative integer");
    if (typeof p.count_locked !== "boolean") throw new Problem("count_locked must be true or false");
    if (p.warning_below_bp < UNDER_BP) {
      throw new Problem(`warning_below_bp must be >= ${UNDER_BP} (the undercollateralised line)`);
    }
    for (const [name, value, lo, hi] of ranges) {
      if (!isInt(value) || value < lo || value > hi) throw new Problem(`${name} must be an integer from ${lo} to ${hi}`);
    }
    return p;
  }
  function lockedFor(source, bridge) {
    if (source === void 0 || "error" in source || !("held" in source)) return 0n;
    return sumBig(source.held.filter((h) => LOCKED.includes(h.category) && h.bridge === bridge).map((h) => BigInt(h.balance)));
  }
  function counted(d, byName) {
    const total = BigInt(d.total_supply);
    if (!("role" in d)) return { circulating: total, supply_sat: liabilitiesSat(total, d.decimals) };
    if (d.role === "bridge") {
      const source = byName.get(d.bridge_source);
      const locked = lockedFor(source, d.name);
      const lockedSat = locked !== 0n && source !== void 0 ? liabilitiesSat(locked, source.decimals) : 0n;
      return { circulating: total, supply_sat: maxBig(liabilitiesSat(total, d.decimals), lockedSat) };
    }
    const circulating = total - sumBig(d.held.map((h) => BigInt(h.balance)));
    if (circulating < 0n) throw new Problem(`${d.name}: held balances exceed total_supply`);
    return { circulating, supply_sat: liabilitiesSat(circulating, d.decimals) };
  }
  var byNameOf = (entries) => new Map(entries.map((e) => [e.name, e]));
  var isRead = (e) => !("error" in e);
  function supplySatTotal(deployments) {
    const byName = byNameOf(deployments);
    return sumBig(deployments.filter(isRead).map((d) => counted(d, byName).supply_sat));
  }
  function checkSupply(doc) {
    const problems = [];
    const deployments = doc.supply.deployments;
    if (new Set(deployments.map((d) => d.name)).size !== deployments.length) problems.push("supply deployment names repeat");
    const byName = byNameOf(deployments);
    for (const d of deployments.filter(isRead)) {
      let expected;
      try {
        expected = counted(d, byName);
      } catch (exc) {
        if (!(exc instanceof Problem)) throw exc;
        problems.push(exc.detail);
        continue;
      }
      if ("circulating" in d && BigInt(d.circulating) !== expected.circulating) {
        problems.push(`${d.name}: circulating ${d.circulating} but the ${d.role} rule gives ${expected.circulating}`);
      }
      if (BigInt(d.supply_sat) !== expected.supply_sat) {
        const rule = "role" in d ? `the ${d.role} rule` : "ceil rounding";
        problems.push(`${d.name}: supply_sat ${d.supply_sat} but ${rule} gives ${expected.supply_sat}`);
      }
    }
    return problems;
  }
  function checkRpc(doc) {
    const problems = [];
    for (const d of doc.supply.deployments.filter(isRead)) {
      const r = d.rpc;
      if (r === void 0 || r === null) continue;
      if (!(1 <= r.quorum && r.quorum <= r.agreed && r.agreed <= r.answered && r.answered <= r.endpoints)) {
        problems.push(`${d.name}: rpc agreement ${r.agreed} of ${r.answered} answered (${r.endpoints} endpoints) does not meet quorum ${r.quorum}`);
      }
    }
    return problems;
  }
  function splitSat(utxos) {
    let spendable = 0n;
    let locked = 0n;
    for (const u of utxos) {
      if (u.lock === void 0 || u.lock === null) spendable += BigInt(u.value_sat);
      else locked += BigInt(u.value_sat);
    }
    return [spendable, locked];
  }
  function checkReserves(doc) {
    const problems = [];
    const sources = doc.reserves.sources;
    const seen = /* @__PURE__ */ new Set();
    if (new Set(sources.map((s) => s.name)).size !== sources.length) problems.push("reserve source names repeat");
    for (const s of sources.filter(isRead)) {
      const total = sumBig(s.utxos.map((u) => BigInt(u.value_sat)));
      if (total !== BigInt(s.total_sat)) problems.push(`${s.name}: total_sat ${s.total_sat} but utxos sum to ${total}`);
      if (s.utxo_count !== s.utxos.length) problems.push(`${s.name}: utxo_count ${s.utxo_count} but ${s.utxos.length} utxos listed`);
      for (const u of s.utxos) {
        const outpoint = `${u.txid}:${u.vout}`;
        if (seen.has(outpoint)) problems.push(`${s.name}: outpoint ${outpoint} counted twice`);
        seen.add(outpoint);
      }
    }
    return problems;
  }
  function checkValidAt(doc) {
    const read = doc.reserves.sources.filter(isRead);
    const tips = new Map(read.map((s) => [JSON.stringify([s.chain_id, s.height, s.block_hash]), s]));
    let expected = null;
    if (tips.size === 1) {
      const s = [...tips.values()][0];
      expected = { chain_id: s.chain_id, height: s.height, block_hash: s.block_hash };
    }
    const got = doc.reserves.valid_at;
    const same3 = got === null || expected === null ? got === expected : Object.keys(got).length === 3 && got.chain_id === expected.chain_id && got.height === expected.height && got.block_hash === expected.block_hash;
    return same3 ? [] : [`reserves.valid_at is not the one tip the read sources share (${JSON.stringify(expected)})`];
  }
  function walletTotals(utxos, names) {
    const groups = new Map(names.map((n) => [n, []]));
    for (const u of utxos) {
      if (!groups.has(u.wallet)) groups.set(u.wallet, []);
      groups.get(u.wallet).push(u);
    }
    return [...groups.keys()].sort().map((name) => {
      const [spendable, locked] = splitSat(groups.get(name));
      return {
        name,
        total_sat: String(spendable + locked),
        spendable_sat: String(spendable),
        locked_sat: String(locked),
        utxo_count: groups.get(name).length
      };
    });
  }
  var WALLET_KEYS = ["name", "total_sat", "spendable_sat", "locked_sat", "utxo_count"];
  var sameWallet = (a, b) => Object.keys(b).length === WALLET_KEYS.length && WALLET_KEYS.every((k) => a[k] === b[k]);
  function checkWallets(doc) {
    const problems = [];
    for (const s of doc.reserves.sources.filter(isRead)) {
      const [spendable, locked] = splitSat(s.utxos);
      if (BigInt(s.spendable_sat) !== spendable || BigInt(s.locked_sat) !== locked) {
        problems.push(`${s.name}: spendable/locked ${s.spendable_sat}/${s.locked_sat} but its utxos give ${spendable}/${locked}`);
      }
      const expected = walletTotals(s.utxos, s.wallets.map((w) => w.name));
      if (expected.length !== s.wallets.length || !expected.every((e, k) => sameWallet(e, s.wallets[k]))) {
        problems.push(`${s.name}: wallet totals differ from its utxos (unique names, sorted, every utxo's wallet listed)`);
      }
    }
    return problems;
  }
  function deriveTotals(sources, deployments, countLocked = true) {
    const readSources = sources.filter(isRead);
    const [spendable, locked] = splitSat(readSources.flatMap((s) => s.utxos));
    const reserves = spendable + (countLocked ? locked : 0n);
    const utxoCount = readSources.reduce((n, s) => n + s.utxos.length, 0);
    const supply = supplySatTotal(deployments);
    const anyFailed = readSources.length !== sources.length || deployments.filter(isRead).length !== deployments.length;
    return { reserves, spendable, locked, utxoCount, supply, ratio: anyFailed ? null : ratioBp(reserves, supply) };
  }
  var totalsOf = (doc) => deriveTotals(doc.reserves.sources, doc.supply.deployments, "count_locked" in doc.policy ? doc.policy.count_locked : true);
  function checkTotals(doc, split2 = true) {
    const t = totalsOf(doc);
    const res = doc.reserves;
    const problems = [];
    if (BigInt(res.total_sat) !== t.reserves) {
      const rule = split2 ? " (spendable, plus locked when policy.count_locked)" : "";
      problems.push(`reserves.total_sat ${res.total_sat} but the utxos of read sources give ${t.reserves}${rule}`);
    }
    if (split2) {
      for (const [key, value] of [["spendable_sat", t.spendable], ["locked_sat", t.locked]]) {
        if (BigInt(res[key]) !== value) problems.push(`reserves.${key} ${res[key]} but the utxos of read sources give ${value}`);
      }
    }
    if (res.utxo_count !== t.utxoCount) problems.push(`reserves.utxo_count ${res.utxo_count} but read sources list ${t.utxoCount}`);
    if (BigInt(doc.supply.total_sat) !== t.supply) {
      problems.push(`supply.total_sat ${doc.supply.total_sat} but read deployments round up to ${t.supply}`);
    }
    return problems;
  }
  function checkRatio(doc) {
    const expected = totalsOf(doc).ratio;
    const claimed = doc.ratio_bp === null ? null : BigInt(doc.ratio_bp);
    if (claimed !== expected) {
      return [`ratio_bp ${doc.ratio_bp} but the rule gives ${expected} (floor; null if a source failed or supply is 0)`];
    }
    return [];
  }
  function checkLink(doc) {
    return doc.sequence === 0 === (doc.previous === null) ? [] : [`sequence ${doc.sequence} with previous ${doc.previous}`];
  }
  function checkTimestamps(doc) {
    const moments = [doc.issued_at];
    for (const e of [...doc.reserves.sources, ...doc.supply.deployments]) if ("block_time" in e) moments.push(e.block_time);
    const problems = [];
    for (const text of moments) {
      try {
        parseTimestamp(text);
      } catch (exc) {
        if (!(exc instanceof Problem)) throw exc;
        problems.push(exc.detail);
      }
    }
    return problems;
  }
  function checkPolicy(doc) {
    readPolicy(doc.policy);
    return [];
  }
  function observations(doc) {
    const one = (label) => (e) => "error" in e ? { label, name: e.name, error_code: e.error.code } : { label, name: e.name, block_time: parseTimestamp(e.block_time), max_age_seconds: e.max_age_seconds };
    return [...doc.reserves.sources.map(one("reserve source")), ...doc.supply.deployments.map(one("supply deployment"))];
  }
  function staleReasons(issued, obs) {
    const reasons = [];
    for (const ob of obs) {
      if (ob.error_code !== void 0 && ob.error_code !== null) {
        reasons.push(`${ob.label} ${ob.name}: failed (${ob.error_code})`);
        continue;
      }
      if (ob.block_time < issued - ob.max_age_seconds) {
        reasons.push(`${ob.label} ${ob.name}: block_time ${formatTimestamp(ob.block_time)} is older than max_age_seconds ${ob.max_age_seconds}`);
      } else if (ob.block_time > issued + MAX_FUTURE_BLOCK_SECONDS) {
        reasons.push(
          `${ob.label} ${ob.name}: block_time ${formatTimestamp(ob.block_time)} is in the future, more than ${MAX_FUTURE_BLOCK_SECONDS} seconds after issued_at`
        );
      }
    }
    return reasons;
  }
  var RATIO_MISSING = "ratio missing although every source was read and supply is positive";
  function decidePlain(issued, obs, ratio, liabilities, policy) {
    const stale = staleReasons(issued, obs);
    if (stale.length === 0 && liabilities > 0n && ratio === null) throw new Problem(RATIO_MISSING);
    let level2 = "healthy";
    let low = [];
    if (ratio !== null && ratio < UNDER_BP) {
      level2 = "undercollateralized";
      low = [`ratio ${ratio} bp is below ${UNDER_BP} bp`];
    } else if (ratio !== null && ratio < policy.warning_below_bp) {
      level2 = "warning";
      low = [`ratio ${ratio} bp is below the warning line ${policy.warning_below_bp} bp`];
    }
    return stale.length ? ["stale", [...stale, ...low]] : [level2, low];
  }
  var sameList = (a, b) => Array.isArray(a) && a.length === b.length && a.every((x, k) => x === b[k]);
  var cut = (text) => Array.from(text).slice(0, MAX_REASON).join("");
  function checkStatusPlain(doc) {
    const policy = readPolicy(doc.policy);
    const t = deriveTotals(doc.reserves.sources, doc.supply.deployments, policy.count_locked);
    const [status, reasons] = decidePlain(parseTimestamp(doc.issued_at), observations(doc), t.ratio, t.supply, policy);
    const problems = [];
    if (doc.status !== status) problems.push(`status ${doc.status} but the rule gives ${status}`);
    if (!sameList(doc.status_reasons, reasons)) problems.push(`status_reasons differ from the rule's: ${JSON.stringify(reasons)}`);
    return problems;
  }
  function bandReason(ratio, line, band, previousLevel, level2) {
    const before = previousLevel ? `was ${previousLevel}` : "no level before";
    return `ratio ${ratio} bp is above ${line} bp but within the hysteresis band of ${band} bp (${before}): stays ${level2} until ${line + band} bp`;
  }
  function ratioLevel(ratio, policy, previousLevel) {
    const under = UNDER_BP;
    const warn = policy.warning_below_bp;
    const band = policy.hysteresis_bp;
    const prev = RANK[previousLevel || ""] ?? 0;
    if (ratio < under) return ["undercollateralized", [`ratio ${ratio} bp is below ${under} bp`]];
    if (ratio < warn) {
      if (prev >= RANK.warning || ratio >= under + band) return ["warning", [`ratio ${ratio} bp is below the warning line ${warn} bp`]];
      return ["undercollateralized", [bandReason(ratio, under, band, previousLevel, "undercollateralized")]];
    }
    if (prev >= RANK.healthy || ratio >= warn + band) return ["healthy", []];
    if (prev >= RANK.warning || ratio >= under + band) return ["warning", [bandReason(ratio, warn, band, previousLevel, "warning")]];
    return ["undercollateralized", [bandReason(ratio, under, band, previousLevel, "undercollateralized")]];
  }
  function decideV4(doc, policy, previousLevel) {
    const t = deriveTotals(doc.reserves.sources, doc.supply.deployments, policy.count_locked);
    const stale = staleReasons(parseTimestamp(doc.issued_at), observations(doc));
    if (stale.length === 0 && t.supply > 0n && t.ratio === null) throw new Problem(RATIO_MISSING);
    let [level2, reasons] = t.ratio === null ? [null, []] : ratioLevel(t.ratio, policy, previousLevel);
    const w = doc.window;
    const low = w === null || w.min_ratio_bp === null ? null : BigInt(w.min_ratio_bp);
    if (level2 === "healthy" && low !== null && low < UNDER_BP) {
      level2 = "warning";
      const where = w.min_sequence === null ? "" : ` at sequence ${w.min_sequence}`;
      reasons = [`the ratio was ${low} bp${where}, below ${UNDER_BP} bp, within the last ${policy.window_blocks} blocks`];
    }
    if (stale.length) return { status: "stale", reasons: [...stale, ...reasons], level: level2 };
    return { status: level2 || "healthy", reasons, level: level2 };
  }
  function statusBasis(result, previousStatus) {
    const changed = result.status !== previousStatus;
    let reason = null;
    if (changed) {
      const why = result.reasons.length ? result.reasons[0] : "every source was read and the ratio clears every line";
      reason = cut(`${previousStatus || "none"} -> ${result.status}: ${why}`);
    }
    return { level: result.level, changed, change_reason: reason };
  }
  function checkStatusHysteresis(doc) {
    const policy = readPolicy(doc.policy);
    const basis = doc.status_basis;
    const result = decideV4(doc, policy, basis.previous_level);
    const problems = [];
    if (doc.status !== result.status) problems.push(`status ${doc.status} but the rule gives ${result.status}`);
    if (!sameList(doc.status_reasons, result.reasons.map(cut))) {
      problems.push(`status_reasons differ from the rule's: ${JSON.stringify(result.reasons)}`);
    }
    const expected = statusBasis(result, basis.previous_status);
    for (const key of ["level", "changed", "change_reason"]) {
      if (basis[key] !== expected[key]) problems.push(`status_basis.${key} ${JSON.stringify(basis[key])} but the rule gives ${JSON.stringify(expected[key])}`);
    }
    if (doc.sequence === 0 !== (basis.previous_status === null)) {
      problems.push("status_basis.previous_status must be null exactly when sequence is 0");
    }
    if (doc.sequence === 0 && basis.previous_level !== null) problems.push("status_basis.previous_level must be null at sequence 0");
    return problems;
  }
  function carriedLevel(previous) {
    const basis = previous.status_basis;
    if (basis !== null && typeof basis === "object") return basis.level || basis.previous_level || null;
    return previous.status in RANK ? previous.status : null;
  }
  function chainStatusBasis(a, b) {
    const basis = b.status_basis;
    const problems = [];
    if (basis.previous_status !== a.status) {
      problems.push(`sequence ${b.sequence}: previous_status ${basis.previous_status} but sequence ${a.sequence} is ${a.status}`);
    }
    if (basis.previous_level !== carriedLevel(a)) {
      problems.push(`sequence ${b.sequence}: previous_level ${basis.previous_level} but the chain carries ${carriedLevel(a)}`);
    }
    return problems;
  }

  // portal/static_src/verify/providers.js
  var SAT_PER_BTC2 = 100000000n;
  var E8 = 100000000n;
  var PAIR = "BTC-USD";
  var UNKNOWN = "unknown";
  var RANK2 = /* @__PURE__ */ new Map([
    ["liquidatable", 0],
    ["warning", 1],
    ["healthy", 2]
  ]);
  var MAX_BP = 1000000n;
  var MAX_DECIMALS2 = 36;
  var AMOUNT_LIMIT = 10n ** 78n;
  var THRESHOLDS = ["warning_below_bp", "liquidatable_below_bp", "hysteresis_bp", "penalty_bp"];
  var MAX_DETAIL = 600;
  var PRICE_COUNTS = ["max_age_seconds", "sources", "kept", "min_sources"];
  var PyError = class extends Problem {
    constructor(type, message) {
      super(`${type}: ${message}`);
    }
  };
  var isDict = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  var pyType = (v) => v === null || v === void 0 ? "NoneType" : typeof v === "boolean" ? "bool" : typeof v === "number" ? "int" : typeof v === "string" ? "str" : Array.isArray(v) ? "list" : "dict";
  function at(d, k) {
    if (!isDict(d)) throw new PyError("TypeError", `'${pyType(d)}' object is not subscriptable by ${pyRepr(k)}`);
    if (!Object.hasOwn(d, k)) throw new PyError("KeyError", pyRepr(k));
    return d[k];
  }
  var get = (d, k) => isDict(d) && Object.hasOwn(d, k) ? d[k] : null;
  function has(d, k) {
    if (!isDict(d)) throw new PyError("TypeError", `argument of type '${pyType(d)}' is not a dict`);
    return Object.hasOwn(d, k);
  }
  function list(v) {
    if (!Array.isArray(v)) throw new PyError("TypeError", `'${pyType(v)}' object is not a list`);
    return v;
  }
  function int(v) {
    if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
    if (typeof v === "string") {
      if (/^[+-]?[0-9]+$/.test(v)) return BigInt(v);
      throw new PyError("ValueError", `invalid literal for int() with base 10: ${pyRepr(v)}`);
    }
    throw new PyError("TypeError", `int() argument must be a string, a bytes-like object or a real number, not '${pyType(v)}'`);
  }
  var truthy = (v) => !(v === null || v === void 0 || v === false || v === 0 || v === "" || (Array.isArray(v) ? v.length === 0 : isDict(v) && Object.keys(v).length === 0));
  var digits = (v) => String(v).length;
  var cut2 = (text, n) => Array.from(text).slice(0, n).join("");
  function units(value, what) {
    if (value < 0n) throw new Problem(`${what} must be a non-negative integer`);
    return value;
  }
  function decimalsOf(value) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_DECIMALS2) {
      throw new Problem(`decimals must be an integer from 0 to ${MAX_DECIMALS2}`);
    }
    return value;
  }
  function btcSat(amount, decimals, up) {
    const u = units(amount, "amount");
    const scale = 10n ** BigInt(decimalsOf(decimals));
    const num2 = u * SAT_PER_BTC2;
    return up ? (num2 + scale - 1n) / scale : num2 / scale;
  }
  var usdE8 = (amount, decimals) => units(amount, "amount") * E8 / 10n ** BigInt(decimalsOf(decimals));
  function usdToSat(usd, priceE8) {
    if (priceE8 <= 0n) throw new Problem("price_e8 must be a positive integer");
    return units(usd, "usd amount") * SAT_PER_BTC2 / priceE8;
  }
  function collateralSat(amount, decimals, asset, priceE8) {
    if (asset === "BTC") return btcSat(amount, decimals, false);
    if (asset === "USD") {
      if (priceE8 === null) throw new Problem("USD collateral needs a price");
      return usdToSat(usdE8(amount, decimals), priceE8);
    }
    throw new Problem("asset must be one of BTC, USD");
  }
  var obligationSat = (amount, decimals) => btcSat(amount, decimals, true);
  var ratioBp2 = (collateral, obligation) => obligation === 0n ? null : units(collateral, "collateral") * BP_SCALE / obligation;
  var penaltySat = (obligation, penaltyBp) => (units(obligation, "obligation") * penaltyBp + BP_SCALE - 1n) / BP_SCALE;
  function held(ratio, line, band, previous) {
    const before = truthy(previous) ? `was ${pyStr(previous)}` : "no state before";
    return `ratio ${ratio} bp has not cleared ${line} bp by the ${band} bp band (${before})`;
  }
  function level(ratio, t, previous) {
    if (ratio === null) return ["healthy", []];
    const liq = t.liquidatable_below_bp;
    const warn = t.warning_below_bp;
    const band = t.hysteresis_bp;
    const prev = RANK2.get(truthy(previous) ? previous : "") ?? 0;
    if (ratio < liq) return ["liquidatable", [`ratio ${ratio} bp is below the liquidation line ${liq} bp`]];
    if (ratio < warn) {
      if (prev >= RANK2.get("warning") || ratio >= liq + band) return ["warning", [`ratio ${ratio} bp is below the warning line ${warn} bp`]];
      return ["liquidatable", [held(ratio, liq, band, previous)]];
    }
    if (prev >= RANK2.get("healthy") || ratio >= warn + band) return ["healthy", []];
    if (prev >= RANK2.get("warning") || ratio >= liq + band) return ["warning", [held(ratio, warn, band, previous)]];
    return ["liquidatable", [held(ratio, liq, band, previous)]];
  }
  function readThresholds(member2) {
    const given = at(member2, "thresholds");
    const t = {};
    for (const k of THRESHOLDS) t[k] = int(at(given, k));
    for (const k of THRESHOLDS) if (t[k] < 0n || t[k] > MAX_BP) throw new Problem(`${k} must be an integer from 0 to ${MAX_BP}`);
    if (!(0n < t.liquidatable_below_bp && t.liquidatable_below_bp <= t.warning_below_bp)) {
      throw new Problem("liquidatable_below_bp must be above 0 and at most warning_below_bp");
    }
    if (t.penalty_bp > BP_SCALE) throw new Problem(`penalty_bp must be at most ${BP_SCALE} (100 % of the obligation)`);
    return t;
  }
  function seconds(leg) {
    const v = at(leg, "max_age_seconds");
    if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new PyError("TypeError", `'<=' not supported between instances of '${pyType(v)}' and 'int'`);
    return BigInt(v);
  }
  function legReasons(label, leg, issued) {
    if (has(leg, "error")) return [`${label} not read (${pyStr(at(at(leg, "error"), "code"))})`];
    const when = BigInt(parseTimestamp(at(leg, "block_time")));
    const now = BigInt(issued);
    const maxAge = seconds(leg);
    if (when < now - maxAge) return [`${label} block_time ${pyStr(leg.block_time)} is older than max_age_seconds ${maxAge}`];
    if (when > now + BigInt(MAX_FUTURE_BLOCK_SECONDS)) return [`${label} block_time ${pyStr(leg.block_time)} is in the future`];
    return [];
  }
  function priceFor(asset, price, issued) {
    if (asset === "BTC") return [null, null];
    if (price === null) return [null, "collateral in USD and no price"];
    const pair = at(price, "pair");
    if (pair !== PAIR) return [null, `collateral in USD and the price is ${pyStr(pair)}, not ${PAIR}`];
    if (!truthy(at(price, "fresh"))) return [null, `collateral in USD and the price of ${pyStr(at(price, "time"))} is not fresh`];
    const n = {};
    for (const k of PRICE_COUNTS) {
      const v = at(price, k);
      if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new Problem(`price ${k} must be an integer`);
      n[k] = BigInt(v);
    }
    const time = BigInt(parseTimestamp(at(price, "time")));
    const now = BigInt(issued);
    const shown = pyStr(price.time);
    if (time > now) return [null, `collateral in USD and the price of ${shown} is dated after issued_at`];
    if (time < now - n.max_age_seconds) return [null, `collateral in USD and the price of ${shown} is older than ${n.max_age_seconds} s`];
    if (!(n.min_sources <= n.kept && n.kept <= n.sources)) {
      return [null, `collateral in USD and the price kept ${n.kept} of ${n.sources} sources (at least ${n.min_sources} required)`];
    }
    return [int(at(price, "price_e8")), null];
  }
  function inRange(label, value, reasons) {
    if (value === null || value < AMOUNT_LIMIT) return value;
    reasons.push(`${label} beyond 78 digits (${digits(value)}): not a credible reading`);
    return null;
  }
  function derive(entry, issued, t, price) {
    const ob = at(entry, "obligation");
    const col = at(entry, "collateral");
    if (at(ob, "asset") !== "BTC") throw new Problem(`provider ${pyStr(at(entry, "name"))}: an obligation is BTC, not ${pyStr(at(ob, "asset"))}`);
    const reasons = [...legReasons("obligation", ob, issued), ...legReasons("collateral", col, issued)];
    let obSat = has(ob, "error") ? null : obligationSat(int(at(ob, "amount")), at(ob, "decimals"));
    const [priceE8, priceReason] = priceFor(at(col, "asset"), price, issued);
    if (priceReason) reasons.push(priceReason);
    let colSat = null;
    if (!has(col, "error") && (at(col, "asset") === "BTC" || priceE8 !== null)) {
      colSat = collateralSat(int(at(col, "amount")), at(col, "decimals"), at(col, "asset"), priceE8);
    }
    obSat = inRange("obligation", obSat, reasons);
    colSat = inRange("collateral", colSat, reasons);
    const unknown = { obligation_sat: obSat, collateral_sat: colSat, ratio_bp: null, state: UNKNOWN, reasons, penalty_sat: null };
    if (reasons.length || obSat === null || colSat === null) return unknown;
    const ratio = inRange("ratio", ratioBp2(colSat, obSat), reasons);
    if (reasons.length) return unknown;
    const [state, why] = level(ratio, t, at(entry, "previous_state"));
    const penalty = state === "liquidatable" ? penaltySat(obSat, t.penalty_bp) : null;
    return { obligation_sat: obSat, collateral_sat: colSat, ratio_bp: ratio, state, reasons: why, penalty_sat: penalty };
  }
  function derivedJson(d) {
    const text = (v) => v === null ? null : String(v);
    return {
      obligation_sat: text(d.obligation_sat),
      collateral_sat: text(d.collateral_sat),
      ratio_bp: text(d.ratio_bp),
      state: d.state,
      reasons: d.reasons,
      penalty_sat: text(d.penalty_sat)
    };
  }
  function same(got, want) {
    if (want === null) return got === null || got === void 0;
    if (Array.isArray(want)) return Array.isArray(got) && got.length === want.length && got.every((x, k) => x === want[k]);
    return got === want;
  }
  function entryProblems(e, issued, t, price) {
    const want = derivedJson(derive(e, issued, t, price));
    const problems = [];
    for (const [key, value] of Object.entries(want)) {
      const got = get(e, key);
      if (!same(got, value)) problems.push(`provider ${pyStr(at(e, "name"))}: ${key} ${pyRepr(got)} but the rule gives ${pyRepr(value)}`);
    }
    return problems;
  }
  function codePointOrder(a, b) {
    const x = a[Symbol.iterator]();
    const y = b[Symbol.iterator]();
    for (; ; ) {
      const p = x.next();
      const q = y.next();
      if (p.done || q.done) return p.done === q.done ? 0 : p.done ? -1 : 1;
      const d = p.value.codePointAt(0) - q.value.codePointAt(0);
      if (d !== 0) return d;
    }
  }
  function sortedUnique(names) {
    if (names.some((n) => typeof n !== "string")) throw new PyError("TypeError", "provider names must be strings");
    return names.every((n, k) => k === 0 || codePointOrder(names[k - 1], n) < 0);
  }
  function checkProviders(doc) {
    const member2 = get(doc, "providers");
    if (member2 === null) return [];
    try {
      const t = readThresholds(member2);
      const issued = parseTimestamp(at(doc, "issued_at"));
      const entries = list(at(member2, "entries"));
      const problems = sortedUnique(entries.map((e) => at(e, "name"))) ? [] : ["providers.entries: names not sorted and unique"];
      for (const e of entries) problems.push(...entryProblems(e, issued, t, at(member2, "price")));
      return problems;
    } catch (exc) {
      const detail = exc instanceof Problem ? exc.detail : `${exc.name || "Error"}: ${exc.message}`;
      return [cut2(`providers: cannot be re-derived (${detail})`, MAX_DETAIL)];
    }
  }
  function providerStates(doc) {
    const member2 = get(doc, "providers");
    return member2 === null ? /* @__PURE__ */ new Map() : new Map(list(at(member2, "entries")).map((e) => [at(e, "name"), at(e, "state")]));
  }
  function chainProviders(a, b) {
    const member2 = get(b, "providers");
    if (member2 === null) return [[], []];
    const before = providerStates(a);
    const problems = [];
    for (const e of list(at(member2, "entries"))) {
      const name = at(e, "name");
      const was = before.has(name) ? before.get(name) : null;
      const said = at(e, "previous_state");
      if (said !== was) {
        problems.push(`sequence ${pyStr(b.sequence)}: provider ${pyStr(name)} previous_state ${pyStr(said)} but sequence ${pyStr(a.sequence)} has ${pyStr(was)}`);
      }
    }
    return [problems, []];
  }

  // node_modules/@noble/curves/utils.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var _0n = /* @__PURE__ */ BigInt(0);
  var _1n = /* @__PURE__ */ BigInt(1);
  function abool(value, title = "") {
    if (typeof value !== "boolean") {
      const prefix = title && `"${title}" `;
      throw new Error(prefix + "expected boolean, got type=" + typeof value);
    }
    return value;
  }
  function abignumber(n) {
    if (typeof n === "bigint") {
      if (!isPosBig(n))
        throw new Error("positive bigint expected, got " + n);
    } else
      anumber(n);
    return n;
  }
  function numberToHexUnpadded(num2) {
    const hex = abignumber(num2).toString(16);
    return hex.length & 1 ? "0" + hex : hex;
  }
  function hexToNumber(hex) {
    if (typeof hex !== "string")
      throw new Error("hex string expected, got " + typeof hex);
    return hex === "" ? _0n : BigInt("0x" + hex);
  }
  function bytesToNumberBE(bytes) {
    return hexToNumber(bytesToHex(bytes));
  }
  function bytesToNumberLE(bytes) {
    return hexToNumber(bytesToHex(copyBytes(abytes(bytes)).reverse()));
  }
  function numberToBytesBE(n, len) {
    anumber(len);
    n = abignumber(n);
    const res = hexToBytes(n.toString(16).padStart(len * 2, "0"));
    if (res.length !== len)
      throw new Error("number too large");
    return res;
  }
  function numberToBytesLE(n, len) {
    return numberToBytesBE(n, len).reverse();
  }
  function copyBytes(bytes) {
    return Uint8Array.from(bytes);
  }
  function asciiToBytes(ascii) {
    return Uint8Array.from(ascii, (c, i) => {
      const charCode = c.charCodeAt(0);
      if (c.length !== 1 || charCode > 127) {
        throw new Error(`string contains non-ASCII character "${ascii[i]}" with code ${charCode} at position ${i}`);
      }
      return charCode;
    });
  }
  var isPosBig = (n) => typeof n === "bigint" && _0n <= n;
  function inRange2(n, min, max) {
    return isPosBig(n) && isPosBig(min) && isPosBig(max) && min <= n && n < max;
  }
  function aInRange(title, n, min, max) {
    if (!inRange2(n, min, max))
      throw new Error("expected valid " + title + ": " + min + " <= n < " + max + ", got " + n);
  }
  function bitLen(n) {
    let len;
    for (len = 0; n > _0n; n >>= _1n, len += 1)
      ;
    return len;
  }
  var bitMask = (n) => (_1n << BigInt(n)) - _1n;
  function createHmacDrbg(hashLen, qByteLen, hmacFn) {
    anumber(hashLen, "hashLen");
    anumber(qByteLen, "qByteLen");
    if (typeof hmacFn !== "function")
      throw new Error("hmacFn must be a function");
    const u8n = (len) => new Uint8Array(len);
    const NULL = Uint8Array.of();
    const byte0 = Uint8Array.of(0);
    const byte1 = Uint8Array.of(1);
    const _maxDrbgIters = 1e3;
    let v = u8n(hashLen);
    let k = u8n(hashLen);
    let i = 0;
    const reset = () => {
      v.fill(1);
      k.fill(0);
      i = 0;
    };
    const h = (...msgs) => hmacFn(k, concatBytes(v, ...msgs));
    const reseed = (seed = NULL) => {
      k = h(byte0, seed);
      v = h();
      if (seed.length === 0)
        return;
      k = h(byte1, seed);
      v = h();
    };
    const gen = () => {
      if (i++ >= _maxDrbgIters)
        throw new Error("drbg: tried max amount of iterations");
      let len = 0;
      const out = [];
      while (len < qByteLen) {
        v = h();
        const sl = v.slice();
        out.push(sl);
        len += v.length;
      }
      return concatBytes(...out);
    };
    const genUntil = (seed, pred) => {
      reset();
      reseed(seed);
      let res = void 0;
      while (!(res = pred(gen())))
        reseed();
      reset();
      return res;
    };
    return genUntil;
  }
  function validateObject(object, fields = {}, optFields = {}) {
    if (!object || typeof object !== "object")
      throw new Error("expected valid options object");
    function checkField(fieldName, expectedType, isOpt) {
      const val = object[fieldName];
      if (isOpt && val === void 0)
        return;
      const current = typeof val;
      if (current !== expectedType || val === null)
        throw new Error(`param "${fieldName}" is invalid: expected ${expectedType}, got ${current}`);
    }
    const iter = (f, isOpt) => Object.entries(f).forEach(([k, v]) => checkField(k, v, isOpt));
    iter(fields, false);
    iter(optFields, true);
  }
  function memoized(fn) {
    const map = /* @__PURE__ */ new WeakMap();
    return (arg, ...args) => {
      const val = map.get(arg);
      if (val !== void 0)
        return val;
      const computed = fn(arg, ...args);
      map.set(arg, computed);
      return computed;
    };
  }

  // node_modules/@noble/curves/abstract/modular.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var _0n2 = /* @__PURE__ */ BigInt(0);
  var _1n2 = /* @__PURE__ */ BigInt(1);
  var _2n = /* @__PURE__ */ BigInt(2);
  var _3n = /* @__PURE__ */ BigInt(3);
  var _4n = /* @__PURE__ */ BigInt(4);
  var _5n = /* @__PURE__ */ BigInt(5);
  var _7n = /* @__PURE__ */ BigInt(7);
  var _8n = /* @__PURE__ */ BigInt(8);
  var _9n = /* @__PURE__ */ BigInt(9);
  var _16n = /* @__PURE__ */ BigInt(16);
  function mod(a, b) {
    const result = a % b;
    return result >= _0n2 ? result : b + result;
  }
  function pow2(x, power, modulo) {
    let res = x;
    while (power-- > _0n2) {
      res *= res;
      res %= modulo;
    }
    return res;
  }
  function invert(number, modulo) {
    if (number === _0n2)
      throw new Error("invert: expected non-zero number");
    if (modulo <= _0n2)
      throw new Error("invert: expected positive modulus, got " + modulo);
    let a = mod(number, modulo);
    let b = modulo;
    let x = _0n2, y = _1n2, u = _1n2, v = _0n2;
    while (a !== _0n2) {
      const q = b / a;
      const r = b % a;
      const m = x - u * q;
      const n = y - v * q;
      b = a, a = r, x = u, y = v, u = m, v = n;
    }
    const gcd = b;
    if (gcd !== _1n2)
      throw new Error("invert: does not exist");
    return mod(x, modulo);
  }
  function assertIsSquare(Fp, root, n) {
    if (!Fp.eql(Fp.sqr(root), n))
      throw new Error("Cannot find square root");
  }
  function sqrt3mod4(Fp, n) {
    const p1div4 = (Fp.ORDER + _1n2) / _4n;
    const root = Fp.pow(n, p1div4);
    assertIsSquare(Fp, root, n);
    return root;
  }
  function sqrt5mod8(Fp, n) {
    const p5div8 = (Fp.ORDER - _5n) / _8n;
    const n2 = Fp.mul(n, _2n);
    const v = Fp.pow(n2, p5div8);
    const nv = Fp.mul(n, v);
    const i = Fp.mul(Fp.mul(nv, _2n), v);
    const root = Fp.mul(nv, Fp.sub(i, Fp.ONE));
    assertIsSquare(Fp, root, n);
    return root;
  }
  function sqrt9mod16(P) {
    const Fp_ = Field(P);
    const tn = tonelliShanks(P);
    const c1 = tn(Fp_, Fp_.neg(Fp_.ONE));
    const c2 = tn(Fp_, c1);
    const c3 = tn(Fp_, Fp_.neg(c1));
    const c4 = (P + _7n) / _16n;
    return (Fp, n) => {
      let tv1 = Fp.pow(n, c4);
      let tv2 = Fp.mul(tv1, c1);
      const tv3 = Fp.mul(tv1, c2);
      const tv4 = Fp.mul(tv1, c3);
      const e1 = Fp.eql(Fp.sqr(tv2), n);
      const e2 = Fp.eql(Fp.sqr(tv3), n);
      tv1 = Fp.cmov(tv1, tv2, e1);
      tv2 = Fp.cmov(tv4, tv3, e2);
      const e3 = Fp.eql(Fp.sqr(tv2), n);
      const root = Fp.cmov(tv1, tv2, e3);
      assertIsSquare(Fp, root, n);
      return root;
    };
  }
  function tonelliShanks(P) {
    if (P < _3n)
      throw new Error("sqrt is not defined for small field");
    let Q = P - _1n2;
    let S = 0;
    while (Q % _2n === _0n2) {
      Q /= _2n;
      S++;
    }
    let Z = _2n;
    const _Fp = Field(P);
    while (FpLegendre(_Fp, Z) === 1) {
      if (Z++ > 1e3)
        throw new Error("Cannot find square root: probably non-prime P");
    }
    if (S === 1)
      return sqrt3mod4;
    let cc = _Fp.pow(Z, Q);
    const Q1div2 = (Q + _1n2) / _2n;
    return function tonelliSlow(Fp, n) {
      if (Fp.is0(n))
        return n;
      if (FpLegendre(Fp, n) !== 1)
        throw new Error("Cannot find square root");
      let M = S;
      let c = Fp.mul(Fp.ONE, cc);
      let t = Fp.pow(n, Q);
      let R = Fp.pow(n, Q1div2);
      while (!Fp.eql(t, Fp.ONE)) {
        if (Fp.is0(t))
          return Fp.ZERO;
        let i = 1;
        let t_tmp = Fp.sqr(t);
        while (!Fp.eql(t_tmp, Fp.ONE)) {
          i++;
          t_tmp = Fp.sqr(t_tmp);
          if (i === M)
            throw new Error("Cannot find square root");
        }
        const exponent = _1n2 << BigInt(M - i - 1);
        const b = Fp.pow(c, exponent);
        M = i;
        c = Fp.sqr(b);
        t = Fp.mul(t, c);
        R = Fp.mul(R, b);
      }
      return R;
    };
  }
  function FpSqrt(P) {
    if (P % _4n === _3n)
      return sqrt3mod4;
    if (P % _8n === _5n)
      return sqrt5mod8;
    if (P % _16n === _9n)
      return sqrt9mod16(P);
    return tonelliShanks(P);
  }
  var FIELD_FIELDS = [
    "create",
    "isValid",
    "is0",
    "neg",
    "inv",
    "sqrt",
    "sqr",
    "eql",
    "add",
    "sub",
    "mul",
    "pow",
    "div",
    "addN",
    "subN",
    "mulN",
    "sqrN"
  ];
  function validateField(field) {
    const initial = {
      ORDER: "bigint",
      BYTES: "number",
      BITS: "number"
    };
    const opts = FIELD_FIELDS.reduce((map, val) => {
      map[val] = "function";
      return map;
    }, initial);
    validateObject(field, opts);
    return field;
  }
  function FpPow(Fp, num2, power) {
    if (power < _0n2)
      throw new Error("invalid exponent, negatives unsupported");
    if (power === _0n2)
      return Fp.ONE;
    if (power === _1n2)
      return num2;
    let p = Fp.ONE;
    let d = num2;
    while (power > _0n2) {
      if (power & _1n2)
        p = Fp.mul(p, d);
      d = Fp.sqr(d);
      power >>= _1n2;
    }
    return p;
  }
  function FpInvertBatch(Fp, nums, passZero = false) {
    const inverted = new Array(nums.length).fill(passZero ? Fp.ZERO : void 0);
    const multipliedAcc = nums.reduce((acc, num2, i) => {
      if (Fp.is0(num2))
        return acc;
      inverted[i] = acc;
      return Fp.mul(acc, num2);
    }, Fp.ONE);
    const invertedAcc = Fp.inv(multipliedAcc);
    nums.reduceRight((acc, num2, i) => {
      if (Fp.is0(num2))
        return acc;
      inverted[i] = Fp.mul(acc, inverted[i]);
      return Fp.mul(acc, num2);
    }, invertedAcc);
    return inverted;
  }
  function FpLegendre(Fp, n) {
    const p1mod2 = (Fp.ORDER - _1n2) / _2n;
    const powered = Fp.pow(n, p1mod2);
    const yes = Fp.eql(powered, Fp.ONE);
    const zero = Fp.eql(powered, Fp.ZERO);
    const no = Fp.eql(powered, Fp.neg(Fp.ONE));
    if (!yes && !zero && !no)
      throw new Error("invalid Legendre symbol result");
    return yes ? 1 : zero ? 0 : -1;
  }
  function nLength(n, nBitLength) {
    if (nBitLength !== void 0)
      anumber(nBitLength);
    const _nBitLength = nBitLength !== void 0 ? nBitLength : n.toString(2).length;
    const nByteLength = Math.ceil(_nBitLength / 8);
    return { nBitLength: _nBitLength, nByteLength };
  }
  var _Field = class {
    ORDER;
    BITS;
    BYTES;
    isLE;
    ZERO = _0n2;
    ONE = _1n2;
    _lengths;
    _sqrt;
    // cached sqrt
    _mod;
    constructor(ORDER, opts = {}) {
      if (ORDER <= _0n2)
        throw new Error("invalid field: expected ORDER > 0, got " + ORDER);
      let _nbitLength = void 0;
      this.isLE = false;
      if (opts != null && typeof opts === "object") {
        if (typeof opts.BITS === "number")
          _nbitLength = opts.BITS;
        if (typeof opts.sqrt === "function")
          this.sqrt = opts.sqrt;
        if (typeof opts.isLE === "boolean")
          this.isLE = opts.isLE;
        if (opts.allowedLengths)
          this._lengths = opts.allowedLengths?.slice();
        if (typeof opts.modFromBytes === "boolean")
          this._mod = opts.modFromBytes;
      }
      const { nBitLength, nByteLength } = nLength(ORDER, _nbitLength);
      if (nByteLength > 2048)
        throw new Error("invalid field: expected ORDER of <= 2048 bytes");
      this.ORDER = ORDER;
      this.BITS = nBitLength;
      this.BYTES = nByteLength;
      this._sqrt = void 0;
      Object.preventExtensions(this);
    }
    create(num2) {
      return mod(num2, this.ORDER);
    }
    isValid(num2) {
      if (typeof num2 !== "bigint")
        throw new Error("invalid field element: expected bigint, got " + typeof num2);
      return _0n2 <= num2 && num2 < this.ORDER;
    }
    is0(num2) {
      return num2 === _0n2;
    }
    // is valid and invertible
    isValidNot0(num2) {
      return !this.is0(num2) && this.isValid(num2);
    }
    isOdd(num2) {
      return (num2 & _1n2) === _1n2;
    }
    neg(num2) {
      return mod(-num2, this.ORDER);
    }
    eql(lhs, rhs) {
      return lhs === rhs;
    }
    sqr(num2) {
      return mod(num2 * num2, this.ORDER);
    }
    add(lhs, rhs) {
      return mod(lhs + rhs, this.ORDER);
    }
    sub(lhs, rhs) {
      return mod(lhs - rhs, this.ORDER);
    }
    mul(lhs, rhs) {
      return mod(lhs * rhs, this.ORDER);
    }
    pow(num2, power) {
      return FpPow(this, num2, power);
    }
    div(lhs, rhs) {
      return mod(lhs * invert(rhs, this.ORDER), this.ORDER);
    }
    // Same as above, but doesn't normalize
    sqrN(num2) {
      return num2 * num2;
    }
    addN(lhs, rhs) {
      return lhs + rhs;
    }
    subN(lhs, rhs) {
      return lhs - rhs;
    }
    mulN(lhs, rhs) {
      return lhs * rhs;
    }
    inv(num2) {
      return invert(num2, this.ORDER);
    }
    sqrt(num2) {
      if (!this._sqrt)
        this._sqrt = FpSqrt(this.ORDER);
      return this._sqrt(this, num2);
    }
    toBytes(num2) {
      return this.isLE ? numberToBytesLE(num2, this.BYTES) : numberToBytesBE(num2, this.BYTES);
    }
    fromBytes(bytes, skipValidation = false) {
      abytes(bytes);
      const { _lengths: allowedLengths, BYTES, isLE: isLE2, ORDER, _mod: modFromBytes } = this;
      if (allowedLengths) {
        if (!allowedLengths.includes(bytes.length) || bytes.length > BYTES) {
          throw new Error("Field.fromBytes: expected " + allowedLengths + " bytes, got " + bytes.length);
        }
        const padded = new Uint8Array(BYTES);
        padded.set(bytes, isLE2 ? 0 : padded.length - bytes.length);
        bytes = padded;
      }
      if (bytes.length !== BYTES)
        throw new Error("Field.fromBytes: expected " + BYTES + " bytes, got " + bytes.length);
      let scalar = isLE2 ? bytesToNumberLE(bytes) : bytesToNumberBE(bytes);
      if (modFromBytes)
        scalar = mod(scalar, ORDER);
      if (!skipValidation) {
        if (!this.isValid(scalar))
          throw new Error("invalid field element: outside of range 0..ORDER");
      }
      return scalar;
    }
    // TODO: we don't need it here, move out to separate fn
    invertBatch(lst) {
      return FpInvertBatch(this, lst);
    }
    // We can't move this out because Fp6, Fp12 implement it
    // and it's unclear what to return in there.
    cmov(a, b, condition) {
      return condition ? b : a;
    }
  };
  function Field(ORDER, opts = {}) {
    return new _Field(ORDER, opts);
  }
  function getFieldBytesLength(fieldOrder) {
    if (typeof fieldOrder !== "bigint")
      throw new Error("field order must be bigint");
    const bitLength = fieldOrder.toString(2).length;
    return Math.ceil(bitLength / 8);
  }
  function getMinHashLength(fieldOrder) {
    const length = getFieldBytesLength(fieldOrder);
    return length + Math.ceil(length / 2);
  }
  function mapHashToField(key, fieldOrder, isLE2 = false) {
    abytes(key);
    const len = key.length;
    const fieldLen = getFieldBytesLength(fieldOrder);
    const minLen = getMinHashLength(fieldOrder);
    if (len < 16 || len < minLen || len > 1024)
      throw new Error("expected " + minLen + "-1024 bytes of input, got " + len);
    const num2 = isLE2 ? bytesToNumberLE(key) : bytesToNumberBE(key);
    const reduced = mod(num2, fieldOrder - _1n2) + _1n2;
    return isLE2 ? numberToBytesLE(reduced, fieldLen) : numberToBytesBE(reduced, fieldLen);
  }

  // node_modules/@noble/curves/abstract/curve.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var _0n3 = /* @__PURE__ */ BigInt(0);
  var _1n3 = /* @__PURE__ */ BigInt(1);
  function negateCt(condition, item) {
    const neg = item.negate();
    return condition ? neg : item;
  }
  function normalizeZ(c, points) {
    const invertedZs = FpInvertBatch(c.Fp, points.map((p) => p.Z));
    return points.map((p, i) => c.fromAffine(p.toAffine(invertedZs[i])));
  }
  function validateW(W, bits) {
    if (!Number.isSafeInteger(W) || W <= 0 || W > bits)
      throw new Error("invalid window size, expected [1.." + bits + "], got W=" + W);
  }
  function calcWOpts(W, scalarBits) {
    validateW(W, scalarBits);
    const windows = Math.ceil(scalarBits / W) + 1;
    const windowSize = 2 ** (W - 1);
    const maxNumber = 2 ** W;
    const mask = bitMask(W);
    const shiftBy = BigInt(W);
    return { windows, windowSize, mask, maxNumber, shiftBy };
  }
  function calcOffsets(n, window2, wOpts) {
    const { windowSize, mask, maxNumber, shiftBy } = wOpts;
    let wbits = Number(n & mask);
    let nextN = n >> shiftBy;
    if (wbits > windowSize) {
      wbits -= maxNumber;
      nextN += _1n3;
    }
    const offsetStart = window2 * windowSize;
    const offset = offsetStart + Math.abs(wbits) - 1;
    const isZero = wbits === 0;
    const isNeg = wbits < 0;
    const isNegF = window2 % 2 !== 0;
    const offsetF = offsetStart;
    return { nextN, offset, isZero, isNeg, isNegF, offsetF };
  }
  var pointPrecomputes = /* @__PURE__ */ new WeakMap();
  var pointWindowSizes = /* @__PURE__ */ new WeakMap();
  function getW(P) {
    return pointWindowSizes.get(P) || 1;
  }
  function assert0(n) {
    if (n !== _0n3)
      throw new Error("invalid wNAF");
  }
  var wNAF = class {
    BASE;
    ZERO;
    Fn;
    bits;
    // Parametrized with a given Point class (not individual point)
    constructor(Point, bits) {
      this.BASE = Point.BASE;
      this.ZERO = Point.ZERO;
      this.Fn = Point.Fn;
      this.bits = bits;
    }
    // non-const time multiplication ladder
    _unsafeLadder(elm, n, p = this.ZERO) {
      let d = elm;
      while (n > _0n3) {
        if (n & _1n3)
          p = p.add(d);
        d = d.double();
        n >>= _1n3;
      }
      return p;
    }
    /**
     * Creates a wNAF precomputation window. Used for caching.
     * Default window size is set by `utils.precompute()` and is equal to 8.
     * Number of precomputed points depends on the curve size:
     * 2^(𝑊−1) * (Math.ceil(𝑛 / 𝑊) + 1), where:
     * - 𝑊 is the window size
     * - 𝑛 is the bitlength of the curve order.
     * For a 256-bit curve and window size 8, the number of precomputed points is 128 * 33 = 4224.
     * @param point Point instance
     * @param W window size
     * @returns precomputed point tables flattened to a single array
     */
    precomputeWindow(point, W) {
      const { windows, windowSize } = calcWOpts(W, this.bits);
      const points = [];
      let p = point;
      let base = p;
      for (let window2 = 0; window2 < windows; window2++) {
        base = p;
        points.push(base);
        for (let i = 1; i < windowSize; i++) {
          base = base.add(p);
          points.push(base);
        }
        p = base.double();
      }
      return points;
    }
    /**
     * Implements ec multiplication using precomputed tables and w-ary non-adjacent form.
     * More compact implementation:
     * https://github.com/paulmillr/noble-secp256k1/blob/47cb1669b6e506ad66b35fe7d76132ae97465da2/index.ts#L502-L541
     * @returns real and fake (for const-time) points
     */
    wNAF(W, precomputes, n) {
      if (!this.Fn.isValid(n))
        throw new Error("invalid scalar");
      let p = this.ZERO;
      let f = this.BASE;
      const wo = calcWOpts(W, this.bits);
      for (let window2 = 0; window2 < wo.windows; window2++) {
        const { nextN, offset, isZero, isNeg, isNegF, offsetF } = calcOffsets(n, window2, wo);
        n = nextN;
        if (isZero) {
          f = f.add(negateCt(isNegF, precomputes[offsetF]));
        } else {
          p = p.add(negateCt(isNeg, precomputes[offset]));
        }
      }
      assert0(n);
      return { p, f };
    }
    /**
     * Implements ec unsafe (non const-time) multiplication using precomputed tables and w-ary non-adjacent form.
     * @param acc accumulator point to add result of multiplication
     * @returns point
     */
    wNAFUnsafe(W, precomputes, n, acc = this.ZERO) {
      const wo = calcWOpts(W, this.bits);
      for (let window2 = 0; window2 < wo.windows; window2++) {
        if (n === _0n3)
          break;
        const { nextN, offset, isZero, isNeg } = calcOffsets(n, window2, wo);
        n = nextN;
        if (isZero) {
          continue;
        } else {
          const item = precomputes[offset];
          acc = acc.add(isNeg ? item.negate() : item);
        }
      }
      assert0(n);
      return acc;
    }
    getPrecomputes(W, point, transform) {
      let comp = pointPrecomputes.get(point);
      if (!comp) {
        comp = this.precomputeWindow(point, W);
        if (W !== 1) {
          if (typeof transform === "function")
            comp = transform(comp);
          pointPrecomputes.set(point, comp);
        }
      }
      return comp;
    }
    cached(point, scalar, transform) {
      const W = getW(point);
      return this.wNAF(W, this.getPrecomputes(W, point, transform), scalar);
    }
    unsafe(point, scalar, transform, prev) {
      const W = getW(point);
      if (W === 1)
        return this._unsafeLadder(point, scalar, prev);
      return this.wNAFUnsafe(W, this.getPrecomputes(W, point, transform), scalar, prev);
    }
    // We calculate precomputes for elliptic curve point multiplication
    // using windowed method. This specifies window size and
    // stores precomputed values. Usually only base point would be precomputed.
    createCache(P, W) {
      validateW(W, this.bits);
      pointWindowSizes.set(P, W);
      pointPrecomputes.delete(P);
    }
    hasCache(elm) {
      return getW(elm) !== 1;
    }
  };
  function mulEndoUnsafe(Point, point, k1, k2) {
    let acc = point;
    let p1 = Point.ZERO;
    let p2 = Point.ZERO;
    while (k1 > _0n3 || k2 > _0n3) {
      if (k1 & _1n3)
        p1 = p1.add(acc);
      if (k2 & _1n3)
        p2 = p2.add(acc);
      acc = acc.double();
      k1 >>= _1n3;
      k2 >>= _1n3;
    }
    return { p1, p2 };
  }
  function createField(order, field, isLE2) {
    if (field) {
      if (field.ORDER !== order)
        throw new Error("Field.ORDER must match order: Fp == p, Fn == n");
      validateField(field);
      return field;
    } else {
      return Field(order, { isLE: isLE2 });
    }
  }
  function createCurveFields(type, CURVE, curveOpts = {}, FpFnLE) {
    if (FpFnLE === void 0)
      FpFnLE = type === "edwards";
    if (!CURVE || typeof CURVE !== "object")
      throw new Error(`expected valid ${type} CURVE object`);
    for (const p of ["p", "n", "h"]) {
      const val = CURVE[p];
      if (!(typeof val === "bigint" && val > _0n3))
        throw new Error(`CURVE.${p} must be positive bigint`);
    }
    const Fp = createField(CURVE.p, curveOpts.Fp, FpFnLE);
    const Fn = createField(CURVE.n, curveOpts.Fn, FpFnLE);
    const _b = type === "weierstrass" ? "b" : "d";
    const params = ["Gx", "Gy", "a", _b];
    for (const p of params) {
      if (!Fp.isValid(CURVE[p]))
        throw new Error(`CURVE.${p} must be valid field element of CURVE.Fp`);
    }
    CURVE = Object.freeze(Object.assign({}, CURVE));
    return { CURVE, Fp, Fn };
  }
  function createKeygen(randomSecretKey, getPublicKey) {
    return function keygen(seed) {
      const secretKey = randomSecretKey(seed);
      return { secretKey, publicKey: getPublicKey(secretKey) };
    };
  }

  // node_modules/@noble/hashes/hmac.js
  var _HMAC = class {
    oHash;
    iHash;
    blockLen;
    outputLen;
    finished = false;
    destroyed = false;
    constructor(hash, key) {
      ahash(hash);
      abytes(key, void 0, "key");
      this.iHash = hash.create();
      if (typeof this.iHash.update !== "function")
        throw new Error("Expected instance of class which extends utils.Hash");
      this.blockLen = this.iHash.blockLen;
      this.outputLen = this.iHash.outputLen;
      const blockLen = this.blockLen;
      const pad = new Uint8Array(blockLen);
      pad.set(key.length > blockLen ? hash.create().update(key).digest() : key);
      for (let i = 0; i < pad.length; i++)
        pad[i] ^= 54;
      this.iHash.update(pad);
      this.oHash = hash.create();
      for (let i = 0; i < pad.length; i++)
        pad[i] ^= 54 ^ 92;
      this.oHash.update(pad);
      clean(pad);
    }
    update(buf) {
      aexists(this);
      this.iHash.update(buf);
      return this;
    }
    digestInto(out) {
      aexists(this);
      abytes(out, this.outputLen, "output");
      this.finished = true;
      this.iHash.digestInto(out);
      this.oHash.update(out);
      this.oHash.digestInto(out);
      this.destroy();
    }
    digest() {
      const out = new Uint8Array(this.oHash.outputLen);
      this.digestInto(out);
      return out;
    }
    _cloneInto(to) {
      to ||= Object.create(Object.getPrototypeOf(this), {});
      const { oHash, iHash, finished, destroyed, blockLen, outputLen } = this;
      to = to;
      to.finished = finished;
      to.destroyed = destroyed;
      to.blockLen = blockLen;
      to.outputLen = outputLen;
      to.oHash = oHash._cloneInto(to.oHash);
      to.iHash = iHash._cloneInto(to.iHash);
      return to;
    }
    clone() {
      return this._cloneInto();
    }
    destroy() {
      this.destroyed = true;
      this.oHash.destroy();
      this.iHash.destroy();
    }
  };
  var hmac = (hash, key, message) => new _HMAC(hash, key).update(message).digest();
  hmac.create = (hash, key) => new _HMAC(hash, key);

  // node_modules/@noble/curves/abstract/weierstrass.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var divNearest = (num2, den) => (num2 + (num2 >= 0 ? den : -den) / _2n2) / den;
  function _splitEndoScalar(k, basis, n) {
    const [[a1, b1], [a2, b2]] = basis;
    const c1 = divNearest(b2 * k, n);
    const c2 = divNearest(-b1 * k, n);
    let k1 = k - c1 * a1 - c2 * a2;
    let k2 = -c1 * b1 - c2 * b2;
    const k1neg = k1 < _0n4;
    const k2neg = k2 < _0n4;
    if (k1neg)
      k1 = -k1;
    if (k2neg)
      k2 = -k2;
    const MAX_NUM = bitMask(Math.ceil(bitLen(n) / 2)) + _1n4;
    if (k1 < _0n4 || k1 >= MAX_NUM || k2 < _0n4 || k2 >= MAX_NUM) {
      throw new Error("splitScalar (endomorphism): failed, k=" + k);
    }
    return { k1neg, k1, k2neg, k2 };
  }
  function validateSigFormat(format) {
    if (!["compact", "recovered", "der"].includes(format))
      throw new Error('Signature format must be "compact", "recovered", or "der"');
    return format;
  }
  function validateSigOpts(opts, def) {
    const optsn = {};
    for (let optName of Object.keys(def)) {
      optsn[optName] = opts[optName] === void 0 ? def[optName] : opts[optName];
    }
    abool(optsn.lowS, "lowS");
    abool(optsn.prehash, "prehash");
    if (optsn.format !== void 0)
      validateSigFormat(optsn.format);
    return optsn;
  }
  var DERErr = class extends Error {
    constructor(m = "") {
      super(m);
    }
  };
  var DER = {
    // asn.1 DER encoding utils
    Err: DERErr,
    // Basic building block is TLV (Tag-Length-Value)
    _tlv: {
      encode: (tag, data) => {
        const { Err: E } = DER;
        if (tag < 0 || tag > 256)
          throw new E("tlv.encode: wrong tag");
        if (data.length & 1)
          throw new E("tlv.encode: unpadded data");
        const dataLen = data.length / 2;
        const len = numberToHexUnpadded(dataLen);
        if (len.length / 2 & 128)
          throw new E("tlv.encode: long form length too big");
        const lenLen = dataLen > 127 ? numberToHexUnpadded(len.length / 2 | 128) : "";
        const t = numberToHexUnpadded(tag);
        return t + lenLen + len + data;
      },
      // v - value, l - left bytes (unparsed)
      decode(tag, data) {
        const { Err: E } = DER;
        let pos = 0;
        if (tag < 0 || tag > 256)
          throw new E("tlv.encode: wrong tag");
        if (data.length < 2 || data[pos++] !== tag)
          throw new E("tlv.decode: wrong tlv");
        const first = data[pos++];
        const isLong = !!(first & 128);
        let length = 0;
        if (!isLong)
          length = first;
        else {
          const lenLen = first & 127;
          if (!lenLen)
            throw new E("tlv.decode(long): indefinite length not supported");
          if (lenLen > 4)
            throw new E("tlv.decode(long): byte length is too big");
          const lengthBytes = data.subarray(pos, pos + lenLen);
          if (lengthBytes.length !== lenLen)
            throw new E("tlv.decode: length bytes not complete");
          if (lengthBytes[0] === 0)
            throw new E("tlv.decode(long): zero leftmost byte");
          for (const b of lengthBytes)
            length = length << 8 | b;
          pos += lenLen;
          if (length < 128)
            throw new E("tlv.decode(long): not minimal encoding");
        }
        const v = data.subarray(pos, pos + length);
        if (v.length !== length)
          throw new E("tlv.decode: wrong value length");
        return { v, l: data.subarray(pos + length) };
      }
    },
    // https://crypto.stackexchange.com/a/57734 Leftmost bit of first byte is 'negative' flag,
    // since we always use positive integers here. It must always be empty:
    // - add zero byte if exists
    // - if next byte doesn't have a flag, leading zero is not allowed (minimal encoding)
    _int: {
      encode(num2) {
        const { Err: E } = DER;
        if (num2 < _0n4)
          throw new E("integer: negative integers are not allowed");
        let hex = numberToHexUnpadded(num2);
        if (Number.parseInt(hex[0], 16) & 8)
          hex = "00" + hex;
        if (hex.length & 1)
          throw new E("unexpected DER parsing assertion: unpadded hex");
        return hex;
      },
      decode(data) {
        const { Err: E } = DER;
        if (data[0] & 128)
          throw new E("invalid signature integer: negative");
        if (data[0] === 0 && !(data[1] & 128))
          throw new E("invalid signature integer: unnecessary leading zero");
        return bytesToNumberBE(data);
      }
    },
    toSig(bytes) {
      const { Err: E, _int: int2, _tlv: tlv } = DER;
      const data = abytes(bytes, void 0, "signature");
      const { v: seqBytes, l: seqLeftBytes } = tlv.decode(48, data);
      if (seqLeftBytes.length)
        throw new E("invalid signature: left bytes after parsing");
      const { v: rBytes, l: rLeftBytes } = tlv.decode(2, seqBytes);
      const { v: sBytes, l: sLeftBytes } = tlv.decode(2, rLeftBytes);
      if (sLeftBytes.length)
        throw new E("invalid signature: left bytes after parsing");
      return { r: int2.decode(rBytes), s: int2.decode(sBytes) };
    },
    hexFromSig(sig) {
      const { _tlv: tlv, _int: int2 } = DER;
      const rs = tlv.encode(2, int2.encode(sig.r));
      const ss = tlv.encode(2, int2.encode(sig.s));
      const seq = rs + ss;
      return tlv.encode(48, seq);
    }
  };
  var _0n4 = BigInt(0);
  var _1n4 = BigInt(1);
  var _2n2 = BigInt(2);
  var _3n2 = BigInt(3);
  var _4n2 = BigInt(4);
  function weierstrass(params, extraOpts = {}) {
    const validated = createCurveFields("weierstrass", params, extraOpts);
    const { Fp, Fn } = validated;
    let CURVE = validated.CURVE;
    const { h: cofactor, n: CURVE_ORDER } = CURVE;
    validateObject(extraOpts, {}, {
      allowInfinityPoint: "boolean",
      clearCofactor: "function",
      isTorsionFree: "function",
      fromBytes: "function",
      toBytes: "function",
      endo: "object"
    });
    const { endo } = extraOpts;
    if (endo) {
      if (!Fp.is0(CURVE.a) || typeof endo.beta !== "bigint" || !Array.isArray(endo.basises)) {
        throw new Error('invalid endo: expected "beta": bigint and "basises": array');
      }
    }
    const lengths = getWLengths(Fp, Fn);
    function assertCompressionIsSupported() {
      if (!Fp.isOdd)
        throw new Error("compression is not supported: Field does not have .isOdd()");
    }
    function pointToBytes2(_c, point, isCompressed) {
      const { x, y } = point.toAffine();
      const bx = Fp.toBytes(x);
      abool(isCompressed, "isCompressed");
      if (isCompressed) {
        assertCompressionIsSupported();
        const hasEvenY = !Fp.isOdd(y);
        return concatBytes(pprefix(hasEvenY), bx);
      } else {
        return concatBytes(Uint8Array.of(4), bx, Fp.toBytes(y));
      }
    }
    function pointFromBytes(bytes) {
      abytes(bytes, void 0, "Point");
      const { publicKey: comp, publicKeyUncompressed: uncomp } = lengths;
      const length = bytes.length;
      const head = bytes[0];
      const tail = bytes.subarray(1);
      if (length === comp && (head === 2 || head === 3)) {
        const x = Fp.fromBytes(tail);
        if (!Fp.isValid(x))
          throw new Error("bad point: is not on curve, wrong x");
        const y2 = weierstrassEquation(x);
        let y;
        try {
          y = Fp.sqrt(y2);
        } catch (sqrtError) {
          const err = sqrtError instanceof Error ? ": " + sqrtError.message : "";
          throw new Error("bad point: is not on curve, sqrt error" + err);
        }
        assertCompressionIsSupported();
        const evenY = Fp.isOdd(y);
        const evenH = (head & 1) === 1;
        if (evenH !== evenY)
          y = Fp.neg(y);
        return { x, y };
      } else if (length === uncomp && head === 4) {
        const L = Fp.BYTES;
        const x = Fp.fromBytes(tail.subarray(0, L));
        const y = Fp.fromBytes(tail.subarray(L, L * 2));
        if (!isValidXY(x, y))
          throw new Error("bad point: is not on curve");
        return { x, y };
      } else {
        throw new Error(`bad point: got length ${length}, expected compressed=${comp} or uncompressed=${uncomp}`);
      }
    }
    const encodePoint = extraOpts.toBytes || pointToBytes2;
    const decodePoint = extraOpts.fromBytes || pointFromBytes;
    function weierstrassEquation(x) {
      const x2 = Fp.sqr(x);
      const x3 = Fp.mul(x2, x);
      return Fp.add(Fp.add(x3, Fp.mul(x, CURVE.a)), CURVE.b);
    }
    function isValidXY(x, y) {
      const left = Fp.sqr(y);
      const right = weierstrassEquation(x);
      return Fp.eql(left, right);
    }
    if (!isValidXY(CURVE.Gx, CURVE.Gy))
      throw new Error("bad curve params: generator point");
    const _4a3 = Fp.mul(Fp.pow(CURVE.a, _3n2), _4n2);
    const _27b2 = Fp.mul(Fp.sqr(CURVE.b), BigInt(27));
    if (Fp.is0(Fp.add(_4a3, _27b2)))
      throw new Error("bad curve params: a or b");
    function acoord(title, n, banZero = false) {
      if (!Fp.isValid(n) || banZero && Fp.is0(n))
        throw new Error(`bad point coordinate ${title}`);
      return n;
    }
    function aprjpoint(other) {
      if (!(other instanceof Point))
        throw new Error("Weierstrass Point expected");
    }
    function splitEndoScalarN(k) {
      if (!endo || !endo.basises)
        throw new Error("no endo");
      return _splitEndoScalar(k, endo.basises, Fn.ORDER);
    }
    const toAffineMemo = memoized((p, iz) => {
      const { X, Y, Z } = p;
      if (Fp.eql(Z, Fp.ONE))
        return { x: X, y: Y };
      const is0 = p.is0();
      if (iz == null)
        iz = is0 ? Fp.ONE : Fp.inv(Z);
      const x = Fp.mul(X, iz);
      const y = Fp.mul(Y, iz);
      const zz = Fp.mul(Z, iz);
      if (is0)
        return { x: Fp.ZERO, y: Fp.ZERO };
      if (!Fp.eql(zz, Fp.ONE))
        throw new Error("invZ was invalid");
      return { x, y };
    });
    const assertValidMemo = memoized((p) => {
      if (p.is0()) {
        if (extraOpts.allowInfinityPoint && !Fp.is0(p.Y))
          return;
        throw new Error("bad point: ZERO");
      }
      const { x, y } = p.toAffine();
      if (!Fp.isValid(x) || !Fp.isValid(y))
        throw new Error("bad point: x or y not field elements");
      if (!isValidXY(x, y))
        throw new Error("bad point: equation left != right");
      if (!p.isTorsionFree())
        throw new Error("bad point: not in prime-order subgroup");
      return true;
    });
    function finishEndo(endoBeta, k1p, k2p, k1neg, k2neg) {
      k2p = new Point(Fp.mul(k2p.X, endoBeta), k2p.Y, k2p.Z);
      k1p = negateCt(k1neg, k1p);
      k2p = negateCt(k2neg, k2p);
      return k1p.add(k2p);
    }
    class Point {
      // base / generator point
      static BASE = new Point(CURVE.Gx, CURVE.Gy, Fp.ONE);
      // zero / infinity / identity point
      static ZERO = new Point(Fp.ZERO, Fp.ONE, Fp.ZERO);
      // 0, 1, 0
      // math field
      static Fp = Fp;
      // scalar field
      static Fn = Fn;
      X;
      Y;
      Z;
      /** Does NOT validate if the point is valid. Use `.assertValidity()`. */
      constructor(X, Y, Z) {
        this.X = acoord("x", X);
        this.Y = acoord("y", Y, true);
        this.Z = acoord("z", Z);
        Object.freeze(this);
      }
      static CURVE() {
        return CURVE;
      }
      /** Does NOT validate if the point is valid. Use `.assertValidity()`. */
      static fromAffine(p) {
        const { x, y } = p || {};
        if (!p || !Fp.isValid(x) || !Fp.isValid(y))
          throw new Error("invalid affine point");
        if (p instanceof Point)
          throw new Error("projective point not allowed");
        if (Fp.is0(x) && Fp.is0(y))
          return Point.ZERO;
        return new Point(x, y, Fp.ONE);
      }
      static fromBytes(bytes) {
        const P = Point.fromAffine(decodePoint(abytes(bytes, void 0, "point")));
        P.assertValidity();
        return P;
      }
      static fromHex(hex) {
        return Point.fromBytes(hexToBytes(hex));
      }
      get x() {
        return this.toAffine().x;
      }
      get y() {
        return this.toAffine().y;
      }
      /**
       *
       * @param windowSize
       * @param isLazy true will defer table computation until the first multiplication
       * @returns
       */
      precompute(windowSize = 8, isLazy = true) {
        wnaf.createCache(this, windowSize);
        if (!isLazy)
          this.multiply(_3n2);
        return this;
      }
      // TODO: return `this`
      /** A point on curve is valid if it conforms to equation. */
      assertValidity() {
        assertValidMemo(this);
      }
      hasEvenY() {
        const { y } = this.toAffine();
        if (!Fp.isOdd)
          throw new Error("Field doesn't support isOdd");
        return !Fp.isOdd(y);
      }
      /** Compare one point to another. */
      equals(other) {
        aprjpoint(other);
        const { X: X1, Y: Y1, Z: Z1 } = this;
        const { X: X2, Y: Y2, Z: Z2 } = other;
        const U1 = Fp.eql(Fp.mul(X1, Z2), Fp.mul(X2, Z1));
        const U2 = Fp.eql(Fp.mul(Y1, Z2), Fp.mul(Y2, Z1));
        return U1 && U2;
      }
      /** Flips point to one corresponding to (x, -y) in Affine coordinates. */
      negate() {
        return new Point(this.X, Fp.neg(this.Y), this.Z);
      }
      // Renes-Costello-Batina exception-free doubling formula.
      // There is 30% faster Jacobian formula, but it is not complete.
      // https://eprint.iacr.org/2015/1060, algorithm 3
      // Cost: 8M + 3S + 3*a + 2*b3 + 15add.
      double() {
        const { a, b } = CURVE;
        const b3 = Fp.mul(b, _3n2);
        const { X: X1, Y: Y1, Z: Z1 } = this;
        let X3 = Fp.ZERO, Y3 = Fp.ZERO, Z3 = Fp.ZERO;
        let t0 = Fp.mul(X1, X1);
        let t1 = Fp.mul(Y1, Y1);
        let t2 = Fp.mul(Z1, Z1);
        let t3 = Fp.mul(X1, Y1);
        t3 = Fp.add(t3, t3);
        Z3 = Fp.mul(X1, Z1);
        Z3 = Fp.add(Z3, Z3);
        X3 = Fp.mul(a, Z3);
        Y3 = Fp.mul(b3, t2);
        Y3 = Fp.add(X3, Y3);
        X3 = Fp.sub(t1, Y3);
        Y3 = Fp.add(t1, Y3);
        Y3 = Fp.mul(X3, Y3);
        X3 = Fp.mul(t3, X3);
        Z3 = Fp.mul(b3, Z3);
        t2 = Fp.mul(a, t2);
        t3 = Fp.sub(t0, t2);
        t3 = Fp.mul(a, t3);
        t3 = Fp.add(t3, Z3);
        Z3 = Fp.add(t0, t0);
        t0 = Fp.add(Z3, t0);
        t0 = Fp.add(t0, t2);
        t0 = Fp.mul(t0, t3);
        Y3 = Fp.add(Y3, t0);
        t2 = Fp.mul(Y1, Z1);
        t2 = Fp.add(t2, t2);
        t0 = Fp.mul(t2, t3);
        X3 = Fp.sub(X3, t0);
        Z3 = Fp.mul(t2, t1);
        Z3 = Fp.add(Z3, Z3);
        Z3 = Fp.add(Z3, Z3);
        return new Point(X3, Y3, Z3);
      }
      // Renes-Costello-Batina exception-free addition formula.
      // There is 30% faster Jacobian formula, but it is not complete.
      // https://eprint.iacr.org/2015/1060, algorithm 1
      // Cost: 12M + 0S + 3*a + 3*b3 + 23add.
      add(other) {
        aprjpoint(other);
        const { X: X1, Y: Y1, Z: Z1 } = this;
        const { X: X2, Y: Y2, Z: Z2 } = other;
        let X3 = Fp.ZERO, Y3 = Fp.ZERO, Z3 = Fp.ZERO;
        const a = CURVE.a;
        const b3 = Fp.mul(CURVE.b, _3n2);
        let t0 = Fp.mul(X1, X2);
        let t1 = Fp.mul(Y1, Y2);
        let t2 = Fp.mul(Z1, Z2);
        let t3 = Fp.add(X1, Y1);
        let t4 = Fp.add(X2, Y2);
        t3 = Fp.mul(t3, t4);
        t4 = Fp.add(t0, t1);
        t3 = Fp.sub(t3, t4);
        t4 = Fp.add(X1, Z1);
        let t5 = Fp.add(X2, Z2);
        t4 = Fp.mul(t4, t5);
        t5 = Fp.add(t0, t2);
        t4 = Fp.sub(t4, t5);
        t5 = Fp.add(Y1, Z1);
        X3 = Fp.add(Y2, Z2);
        t5 = Fp.mul(t5, X3);
        X3 = Fp.add(t1, t2);
        t5 = Fp.sub(t5, X3);
        Z3 = Fp.mul(a, t4);
        X3 = Fp.mul(b3, t2);
        Z3 = Fp.add(X3, Z3);
        X3 = Fp.sub(t1, Z3);
        Z3 = Fp.add(t1, Z3);
        Y3 = Fp.mul(X3, Z3);
        t1 = Fp.add(t0, t0);
        t1 = Fp.add(t1, t0);
        t2 = Fp.mul(a, t2);
        t4 = Fp.mul(b3, t4);
        t1 = Fp.add(t1, t2);
        t2 = Fp.sub(t0, t2);
        t2 = Fp.mul(a, t2);
        t4 = Fp.add(t4, t2);
        t0 = Fp.mul(t1, t4);
        Y3 = Fp.add(Y3, t0);
        t0 = Fp.mul(t5, t4);
        X3 = Fp.mul(t3, X3);
        X3 = Fp.sub(X3, t0);
        t0 = Fp.mul(t3, t1);
        Z3 = Fp.mul(t5, Z3);
        Z3 = Fp.add(Z3, t0);
        return new Point(X3, Y3, Z3);
      }
      subtract(other) {
        return this.add(other.negate());
      }
      is0() {
        return this.equals(Point.ZERO);
      }
      /**
       * Constant time multiplication.
       * Uses wNAF method. Windowed method may be 10% faster,
       * but takes 2x longer to generate and consumes 2x memory.
       * Uses precomputes when available.
       * Uses endomorphism for Koblitz curves.
       * @param scalar by which the point would be multiplied
       * @returns New point
       */
      multiply(scalar) {
        const { endo: endo2 } = extraOpts;
        if (!Fn.isValidNot0(scalar))
          throw new Error("invalid scalar: out of range");
        let point, fake;
        const mul = (n) => wnaf.cached(this, n, (p) => normalizeZ(Point, p));
        if (endo2) {
          const { k1neg, k1, k2neg, k2 } = splitEndoScalarN(scalar);
          const { p: k1p, f: k1f } = mul(k1);
          const { p: k2p, f: k2f } = mul(k2);
          fake = k1f.add(k2f);
          point = finishEndo(endo2.beta, k1p, k2p, k1neg, k2neg);
        } else {
          const { p, f } = mul(scalar);
          point = p;
          fake = f;
        }
        return normalizeZ(Point, [point, fake])[0];
      }
      /**
       * Non-constant-time multiplication. Uses double-and-add algorithm.
       * It's faster, but should only be used when you don't care about
       * an exposed secret key e.g. sig verification, which works over *public* keys.
       */
      multiplyUnsafe(sc) {
        const { endo: endo2 } = extraOpts;
        const p = this;
        if (!Fn.isValid(sc))
          throw new Error("invalid scalar: out of range");
        if (sc === _0n4 || p.is0())
          return Point.ZERO;
        if (sc === _1n4)
          return p;
        if (wnaf.hasCache(this))
          return this.multiply(sc);
        if (endo2) {
          const { k1neg, k1, k2neg, k2 } = splitEndoScalarN(sc);
          const { p1, p2 } = mulEndoUnsafe(Point, p, k1, k2);
          return finishEndo(endo2.beta, p1, p2, k1neg, k2neg);
        } else {
          return wnaf.unsafe(p, sc);
        }
      }
      /**
       * Converts Projective point to affine (x, y) coordinates.
       * @param invertedZ Z^-1 (inverted zero) - optional, precomputation is useful for invertBatch
       */
      toAffine(invertedZ) {
        return toAffineMemo(this, invertedZ);
      }
      /**
       * Checks whether Point is free of torsion elements (is in prime subgroup).
       * Always torsion-free for cofactor=1 curves.
       */
      isTorsionFree() {
        const { isTorsionFree } = extraOpts;
        if (cofactor === _1n4)
          return true;
        if (isTorsionFree)
          return isTorsionFree(Point, this);
        return wnaf.unsafe(this, CURVE_ORDER).is0();
      }
      clearCofactor() {
        const { clearCofactor } = extraOpts;
        if (cofactor === _1n4)
          return this;
        if (clearCofactor)
          return clearCofactor(Point, this);
        return this.multiplyUnsafe(cofactor);
      }
      isSmallOrder() {
        return this.multiplyUnsafe(cofactor).is0();
      }
      toBytes(isCompressed = true) {
        abool(isCompressed, "isCompressed");
        this.assertValidity();
        return encodePoint(Point, this, isCompressed);
      }
      toHex(isCompressed = true) {
        return bytesToHex(this.toBytes(isCompressed));
      }
      toString() {
        return `<Point ${this.is0() ? "ZERO" : this.toHex()}>`;
      }
    }
    const bits = Fn.BITS;
    const wnaf = new wNAF(Point, extraOpts.endo ? Math.ceil(bits / 2) : bits);
    Point.BASE.precompute(8);
    return Point;
  }
  function pprefix(hasEvenY) {
    return Uint8Array.of(hasEvenY ? 2 : 3);
  }
  function getWLengths(Fp, Fn) {
    return {
      secretKey: Fn.BYTES,
      publicKey: 1 + Fp.BYTES,
      publicKeyUncompressed: 1 + 2 * Fp.BYTES,
      publicKeyHasPrefix: true,
      signature: 2 * Fn.BYTES
    };
  }
  function ecdh(Point, ecdhOpts = {}) {
    const { Fn } = Point;
    const randomBytes_ = ecdhOpts.randomBytes || randomBytes;
    const lengths = Object.assign(getWLengths(Point.Fp, Fn), { seed: getMinHashLength(Fn.ORDER) });
    function isValidSecretKey(secretKey) {
      try {
        const num2 = Fn.fromBytes(secretKey);
        return Fn.isValidNot0(num2);
      } catch (error) {
        return false;
      }
    }
    function isValidPublicKey(publicKey, isCompressed) {
      const { publicKey: comp, publicKeyUncompressed } = lengths;
      try {
        const l = publicKey.length;
        if (isCompressed === true && l !== comp)
          return false;
        if (isCompressed === false && l !== publicKeyUncompressed)
          return false;
        return !!Point.fromBytes(publicKey);
      } catch (error) {
        return false;
      }
    }
    function randomSecretKey(seed = randomBytes_(lengths.seed)) {
      return mapHashToField(abytes(seed, lengths.seed, "seed"), Fn.ORDER);
    }
    function getPublicKey(secretKey, isCompressed = true) {
      return Point.BASE.multiply(Fn.fromBytes(secretKey)).toBytes(isCompressed);
    }
    function isProbPub(item) {
      const { secretKey, publicKey, publicKeyUncompressed } = lengths;
      if (!isBytes(item))
        return void 0;
      if ("_lengths" in Fn && Fn._lengths || secretKey === publicKey)
        return void 0;
      const l = abytes(item, void 0, "key").length;
      return l === publicKey || l === publicKeyUncompressed;
    }
    function getSharedSecret(secretKeyA, publicKeyB, isCompressed = true) {
      if (isProbPub(secretKeyA) === true)
        throw new Error("first arg must be private key");
      if (isProbPub(publicKeyB) === false)
        throw new Error("second arg must be public key");
      const s = Fn.fromBytes(secretKeyA);
      const b = Point.fromBytes(publicKeyB);
      return b.multiply(s).toBytes(isCompressed);
    }
    const utils = {
      isValidSecretKey,
      isValidPublicKey,
      randomSecretKey
    };
    const keygen = createKeygen(randomSecretKey, getPublicKey);
    return Object.freeze({ getPublicKey, getSharedSecret, keygen, Point, utils, lengths });
  }
  function ecdsa(Point, hash, ecdsaOpts = {}) {
    ahash(hash);
    validateObject(ecdsaOpts, {}, {
      hmac: "function",
      lowS: "boolean",
      randomBytes: "function",
      bits2int: "function",
      bits2int_modN: "function"
    });
    ecdsaOpts = Object.assign({}, ecdsaOpts);
    const randomBytes2 = ecdsaOpts.randomBytes || randomBytes;
    const hmac2 = ecdsaOpts.hmac || ((key, msg) => hmac(hash, key, msg));
    const { Fp, Fn } = Point;
    const { ORDER: CURVE_ORDER, BITS: fnBits } = Fn;
    const { keygen, getPublicKey, getSharedSecret, utils, lengths } = ecdh(Point, ecdsaOpts);
    const defaultSigOpts = {
      prehash: true,
      lowS: typeof ecdsaOpts.lowS === "boolean" ? ecdsaOpts.lowS : true,
      format: "compact",
      extraEntropy: false
    };
    const hasLargeCofactor = CURVE_ORDER * _2n2 < Fp.ORDER;
    function isBiggerThanHalfOrder(number) {
      const HALF = CURVE_ORDER >> _1n4;
      return number > HALF;
    }
    function validateRS(title, num2) {
      if (!Fn.isValidNot0(num2))
        throw new Error(`invalid signature ${title}: out of range 1..Point.Fn.ORDER`);
      return num2;
    }
    function assertSmallCofactor() {
      if (hasLargeCofactor)
        throw new Error('"recovered" sig type is not supported for cofactor >2 curves');
    }
    function validateSigLength(bytes, format) {
      validateSigFormat(format);
      const size = lengths.signature;
      const sizer = format === "compact" ? size : format === "recovered" ? size + 1 : void 0;
      return abytes(bytes, sizer);
    }
    class Signature {
      r;
      s;
      recovery;
      constructor(r, s, recovery) {
        this.r = validateRS("r", r);
        this.s = validateRS("s", s);
        if (recovery != null) {
          assertSmallCofactor();
          if (![0, 1, 2, 3].includes(recovery))
            throw new Error("invalid recovery id");
          this.recovery = recovery;
        }
        Object.freeze(this);
      }
      static fromBytes(bytes, format = defaultSigOpts.format) {
        validateSigLength(bytes, format);
        let recid;
        if (format === "der") {
          const { r: r2, s: s2 } = DER.toSig(abytes(bytes));
          return new Signature(r2, s2);
        }
        if (format === "recovered") {
          recid = bytes[0];
          format = "compact";
          bytes = bytes.subarray(1);
        }
        const L = lengths.signature / 2;
        const r = bytes.subarray(0, L);
        const s = bytes.subarray(L, L * 2);
        return new Signature(Fn.fromBytes(r), Fn.fromBytes(s), recid);
      }
      static fromHex(hex, format) {
        return this.fromBytes(hexToBytes(hex), format);
      }
      assertRecovery() {
        const { recovery } = this;
        if (recovery == null)
          throw new Error("invalid recovery id: must be present");
        return recovery;
      }
      addRecoveryBit(recovery) {
        return new Signature(this.r, this.s, recovery);
      }
      recoverPublicKey(messageHash) {
        const { r, s } = this;
        const recovery = this.assertRecovery();
        const radj = recovery === 2 || recovery === 3 ? r + CURVE_ORDER : r;
        if (!Fp.isValid(radj))
          throw new Error("invalid recovery id: sig.r+curve.n != R.x");
        const x = Fp.toBytes(radj);
        const R = Point.fromBytes(concatBytes(pprefix((recovery & 1) === 0), x));
        const ir = Fn.inv(radj);
        const h = bits2int_modN(abytes(messageHash, void 0, "msgHash"));
        const u1 = Fn.create(-h * ir);
        const u2 = Fn.create(s * ir);
        const Q = Point.BASE.multiplyUnsafe(u1).add(R.multiplyUnsafe(u2));
        if (Q.is0())
          throw new Error("invalid recovery: point at infinify");
        Q.assertValidity();
        return Q;
      }
      // Signatures should be low-s, to prevent malleability.
      hasHighS() {
        return isBiggerThanHalfOrder(this.s);
      }
      toBytes(format = defaultSigOpts.format) {
        validateSigFormat(format);
        if (format === "der")
          return hexToBytes(DER.hexFromSig(this));
        const { r, s } = this;
        const rb = Fn.toBytes(r);
        const sb = Fn.toBytes(s);
        if (format === "recovered") {
          assertSmallCofactor();
          return concatBytes(Uint8Array.of(this.assertRecovery()), rb, sb);
        }
        return concatBytes(rb, sb);
      }
      toHex(format) {
        return bytesToHex(this.toBytes(format));
      }
    }
    const bits2int = ecdsaOpts.bits2int || function bits2int_def(bytes) {
      if (bytes.length > 8192)
        throw new Error("input is too large");
      const num2 = bytesToNumberBE(bytes);
      const delta = bytes.length * 8 - fnBits;
      return delta > 0 ? num2 >> BigInt(delta) : num2;
    };
    const bits2int_modN = ecdsaOpts.bits2int_modN || function bits2int_modN_def(bytes) {
      return Fn.create(bits2int(bytes));
    };
    const ORDER_MASK = bitMask(fnBits);
    function int2octets(num2) {
      aInRange("num < 2^" + fnBits, num2, _0n4, ORDER_MASK);
      return Fn.toBytes(num2);
    }
    function validateMsgAndHash(message, prehash) {
      abytes(message, void 0, "message");
      return prehash ? abytes(hash(message), void 0, "prehashed message") : message;
    }
    function prepSig(message, secretKey, opts) {
      const { lowS, prehash, extraEntropy } = validateSigOpts(opts, defaultSigOpts);
      message = validateMsgAndHash(message, prehash);
      const h1int = bits2int_modN(message);
      const d = Fn.fromBytes(secretKey);
      if (!Fn.isValidNot0(d))
        throw new Error("invalid private key");
      const seedArgs = [int2octets(d), int2octets(h1int)];
      if (extraEntropy != null && extraEntropy !== false) {
        const e = extraEntropy === true ? randomBytes2(lengths.secretKey) : extraEntropy;
        seedArgs.push(abytes(e, void 0, "extraEntropy"));
      }
      const seed = concatBytes(...seedArgs);
      const m = h1int;
      function k2sig(kBytes) {
        const k = bits2int(kBytes);
        if (!Fn.isValidNot0(k))
          return;
        const ik = Fn.inv(k);
        const q = Point.BASE.multiply(k).toAffine();
        const r = Fn.create(q.x);
        if (r === _0n4)
          return;
        const s = Fn.create(ik * Fn.create(m + r * d));
        if (s === _0n4)
          return;
        let recovery = (q.x === r ? 0 : 2) | Number(q.y & _1n4);
        let normS = s;
        if (lowS && isBiggerThanHalfOrder(s)) {
          normS = Fn.neg(s);
          recovery ^= 1;
        }
        return new Signature(r, normS, hasLargeCofactor ? void 0 : recovery);
      }
      return { seed, k2sig };
    }
    function sign(message, secretKey, opts = {}) {
      const { seed, k2sig } = prepSig(message, secretKey, opts);
      const drbg = createHmacDrbg(hash.outputLen, Fn.BYTES, hmac2);
      const sig = drbg(seed, k2sig);
      return sig.toBytes(opts.format);
    }
    function verify(signature, message, publicKey, opts = {}) {
      const { lowS, prehash, format } = validateSigOpts(opts, defaultSigOpts);
      publicKey = abytes(publicKey, void 0, "publicKey");
      message = validateMsgAndHash(message, prehash);
      if (!isBytes(signature)) {
        const end = signature instanceof Signature ? ", use sig.toBytes()" : "";
        throw new Error("verify expects Uint8Array signature" + end);
      }
      validateSigLength(signature, format);
      try {
        const sig = Signature.fromBytes(signature, format);
        const P = Point.fromBytes(publicKey);
        if (lowS && sig.hasHighS())
          return false;
        const { r, s } = sig;
        const h = bits2int_modN(message);
        const is = Fn.inv(s);
        const u1 = Fn.create(h * is);
        const u2 = Fn.create(r * is);
        const R = Point.BASE.multiplyUnsafe(u1).add(P.multiplyUnsafe(u2));
        if (R.is0())
          return false;
        const v = Fn.create(R.x);
        return v === r;
      } catch (e) {
        return false;
      }
    }
    function recoverPublicKey(signature, message, opts = {}) {
      const { prehash } = validateSigOpts(opts, defaultSigOpts);
      message = validateMsgAndHash(message, prehash);
      return Signature.fromBytes(signature, "recovered").recoverPublicKey(message).toBytes();
    }
    return Object.freeze({
      keygen,
      getPublicKey,
      getSharedSecret,
      utils,
      lengths,
      Point,
      sign,
      verify,
      recoverPublicKey,
      Signature,
      hash
    });
  }

  // node_modules/@noble/curves/secp256k1.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var secp256k1_CURVE = {
    p: BigInt("0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f"),
    n: BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"),
    h: BigInt(1),
    a: BigInt(0),
    b: BigInt(7),
    Gx: BigInt("0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),
    Gy: BigInt("0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")
  };
  var secp256k1_ENDO = {
    beta: BigInt("0x7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee"),
    basises: [
      [BigInt("0x3086d221a7d46bcde86c90e49284eb15"), -BigInt("0xe4437ed6010e88286f547fa90abfe4c3")],
      [BigInt("0x114ca50f7a8e2f3f657c1108d9d44cfd8"), BigInt("0x3086d221a7d46bcde86c90e49284eb15")]
    ]
  };
  var _0n5 = /* @__PURE__ */ BigInt(0);
  var _2n3 = /* @__PURE__ */ BigInt(2);
  function sqrtMod(y) {
    const P = secp256k1_CURVE.p;
    const _3n3 = BigInt(3), _6n = BigInt(6), _11n = BigInt(11), _22n = BigInt(22);
    const _23n = BigInt(23), _44n = BigInt(44), _88n = BigInt(88);
    const b2 = y * y * y % P;
    const b3 = b2 * b2 * y % P;
    const b6 = pow2(b3, _3n3, P) * b3 % P;
    const b9 = pow2(b6, _3n3, P) * b3 % P;
    const b11 = pow2(b9, _2n3, P) * b2 % P;
    const b22 = pow2(b11, _11n, P) * b11 % P;
    const b44 = pow2(b22, _22n, P) * b22 % P;
    const b88 = pow2(b44, _44n, P) * b44 % P;
    const b176 = pow2(b88, _88n, P) * b88 % P;
    const b220 = pow2(b176, _44n, P) * b44 % P;
    const b223 = pow2(b220, _3n3, P) * b3 % P;
    const t1 = pow2(b223, _23n, P) * b22 % P;
    const t2 = pow2(t1, _6n, P) * b2 % P;
    const root = pow2(t2, _2n3, P);
    if (!Fpk1.eql(Fpk1.sqr(root), y))
      throw new Error("Cannot find square root");
    return root;
  }
  var Fpk1 = Field(secp256k1_CURVE.p, { sqrt: sqrtMod });
  var Pointk1 = /* @__PURE__ */ weierstrass(secp256k1_CURVE, {
    Fp: Fpk1,
    endo: secp256k1_ENDO
  });
  var secp256k1 = /* @__PURE__ */ ecdsa(Pointk1, sha256);
  var TAGGED_HASH_PREFIXES = {};
  function taggedHash(tag, ...messages) {
    let tagP = TAGGED_HASH_PREFIXES[tag];
    if (tagP === void 0) {
      const tagH = sha256(asciiToBytes(tag));
      tagP = concatBytes(tagH, tagH);
      TAGGED_HASH_PREFIXES[tag] = tagP;
    }
    return sha256(concatBytes(tagP, ...messages));
  }
  var pointToBytes = (point) => point.toBytes(true).slice(1);
  var hasEven = (y) => y % _2n3 === _0n5;
  function schnorrGetExtPubKey(priv) {
    const { Fn, BASE } = Pointk1;
    const d_ = Fn.fromBytes(priv);
    const p = BASE.multiply(d_);
    const scalar = hasEven(p.y) ? d_ : Fn.neg(d_);
    return { scalar, bytes: pointToBytes(p) };
  }
  function lift_x(x) {
    const Fp = Fpk1;
    if (!Fp.isValidNot0(x))
      throw new Error("invalid x: Fail if x ≥ p");
    const xx = Fp.create(x * x);
    const c = Fp.create(xx * x + BigInt(7));
    let y = Fp.sqrt(c);
    if (!hasEven(y))
      y = Fp.neg(y);
    const p = Pointk1.fromAffine({ x, y });
    p.assertValidity();
    return p;
  }
  var num = bytesToNumberBE;
  function challenge(...args) {
    return Pointk1.Fn.create(num(taggedHash("BIP0340/challenge", ...args)));
  }
  function schnorrGetPublicKey(secretKey) {
    return schnorrGetExtPubKey(secretKey).bytes;
  }
  function schnorrSign(message, secretKey, auxRand = randomBytes(32)) {
    const { Fn } = Pointk1;
    const m = abytes(message, void 0, "message");
    const { bytes: px, scalar: d } = schnorrGetExtPubKey(secretKey);
    const a = abytes(auxRand, 32, "auxRand");
    const t = Fn.toBytes(d ^ num(taggedHash("BIP0340/aux", a)));
    const rand = taggedHash("BIP0340/nonce", t, px, m);
    const { bytes: rx, scalar: k } = schnorrGetExtPubKey(rand);
    const e = challenge(rx, px, m);
    const sig = new Uint8Array(64);
    sig.set(rx, 0);
    sig.set(Fn.toBytes(Fn.create(k + e * d)), 32);
    if (!schnorrVerify(sig, m, px))
      throw new Error("sign: Invalid signature produced");
    return sig;
  }
  function schnorrVerify(signature, message, publicKey) {
    const { Fp, Fn, BASE } = Pointk1;
    const sig = abytes(signature, 64, "signature");
    const m = abytes(message, void 0, "message");
    const pub = abytes(publicKey, 32, "publicKey");
    try {
      const P = lift_x(num(pub));
      const r = num(sig.subarray(0, 32));
      if (!Fp.isValidNot0(r))
        return false;
      const s = num(sig.subarray(32, 64));
      if (!Fn.isValidNot0(s))
        return false;
      const e = challenge(Fn.toBytes(r), pointToBytes(P), m);
      const R = BASE.multiplyUnsafe(s).add(P.multiplyUnsafe(Fn.neg(e)));
      const { x, y } = R.toAffine();
      if (R.is0() || !hasEven(y) || x !== r)
        return false;
      return true;
    } catch (error) {
      return false;
    }
  }
  var schnorr = /* @__PURE__ */ (() => {
    const size = 32;
    const seedLength = 48;
    const randomSecretKey = (seed = randomBytes(seedLength)) => {
      return mapHashToField(seed, secp256k1_CURVE.n);
    };
    return {
      keygen: createKeygen(randomSecretKey, schnorrGetPublicKey),
      getPublicKey: schnorrGetPublicKey,
      sign: schnorrSign,
      verify: schnorrVerify,
      Point: Pointk1,
      utils: {
        randomSecretKey,
        taggedHash,
        lift_x,
        pointToBytes
      },
      lengths: {
        secretKey: size,
        publicKey: size,
        publicKeyHasPrefix: false,
        signature: size * 2,
        seed: seedLength
      }
    };
  })();

  // node_modules/@noble/hashes/sha3.js
  var _0n6 = BigInt(0);
  var _1n5 = BigInt(1);
  var _2n4 = BigInt(2);
  var _7n2 = BigInt(7);
  var _256n = BigInt(256);
  var _0x71n = BigInt(113);
  var SHA3_PI = [];
  var SHA3_ROTL = [];
  var _SHA3_IOTA = [];
  for (let round = 0, R = _1n5, x = 1, y = 0; round < 24; round++) {
    [x, y] = [y, (2 * x + 3 * y) % 5];
    SHA3_PI.push(2 * (5 * y + x));
    SHA3_ROTL.push((round + 1) * (round + 2) / 2 % 64);
    let t = _0n6;
    for (let j = 0; j < 7; j++) {
      R = (R << _1n5 ^ (R >> _7n2) * _0x71n) % _256n;
      if (R & _2n4)
        t ^= _1n5 << (_1n5 << BigInt(j)) - _1n5;
    }
    _SHA3_IOTA.push(t);
  }
  var IOTAS = split(_SHA3_IOTA, true);
  var SHA3_IOTA_H = IOTAS[0];
  var SHA3_IOTA_L = IOTAS[1];
  var rotlH = (h, l, s) => s > 32 ? rotlBH(h, l, s) : rotlSH(h, l, s);
  var rotlL = (h, l, s) => s > 32 ? rotlBL(h, l, s) : rotlSL(h, l, s);
  function keccakP(s, rounds = 24) {
    const B = new Uint32Array(5 * 2);
    for (let round = 24 - rounds; round < 24; round++) {
      for (let x = 0; x < 10; x++)
        B[x] = s[x] ^ s[x + 10] ^ s[x + 20] ^ s[x + 30] ^ s[x + 40];
      for (let x = 0; x < 10; x += 2) {
        const idx1 = (x + 8) % 10;
        const idx0 = (x + 2) % 10;
        const B0 = B[idx0];
        const B1 = B[idx0 + 1];
        const Th = rotlH(B0, B1, 1) ^ B[idx1];
        const Tl = rotlL(B0, B1, 1) ^ B[idx1 + 1];
        for (let y = 0; y < 50; y += 10) {
          s[x + y] ^= Th;
          s[x + y + 1] ^= Tl;
        }
      }
      let curH = s[2];
      let curL = s[3];
      for (let t = 0; t < 24; t++) {
        const shift = SHA3_ROTL[t];
        const Th = rotlH(curH, curL, shift);
        const Tl = rotlL(curH, curL, shift);
        const PI = SHA3_PI[t];
        curH = s[PI];
        curL = s[PI + 1];
        s[PI] = Th;
        s[PI + 1] = Tl;
      }
      for (let y = 0; y < 50; y += 10) {
        for (let x = 0; x < 10; x++)
          B[x] = s[y + x];
        for (let x = 0; x < 10; x++)
          s[y + x] ^= ~B[(x + 2) % 10] & B[(x + 4) % 10];
      }
      s[0] ^= SHA3_IOTA_H[round];
      s[1] ^= SHA3_IOTA_L[round];
    }
    clean(B);
  }
  var Keccak = class _Keccak {
    state;
    pos = 0;
    posOut = 0;
    finished = false;
    state32;
    destroyed = false;
    blockLen;
    suffix;
    outputLen;
    enableXOF = false;
    rounds;
    // NOTE: we accept arguments in bytes instead of bits here.
    constructor(blockLen, suffix, outputLen, enableXOF = false, rounds = 24) {
      this.blockLen = blockLen;
      this.suffix = suffix;
      this.outputLen = outputLen;
      this.enableXOF = enableXOF;
      this.rounds = rounds;
      anumber(outputLen, "outputLen");
      if (!(0 < blockLen && blockLen < 200))
        throw new Error("only keccak-f1600 function is supported");
      this.state = new Uint8Array(200);
      this.state32 = u32(this.state);
    }
    clone() {
      return this._cloneInto();
    }
    keccak() {
      swap32IfBE(this.state32);
      keccakP(this.state32, this.rounds);
      swap32IfBE(this.state32);
      this.posOut = 0;
      this.pos = 0;
    }
    update(data) {
      aexists(this);
      abytes(data);
      const { blockLen, state } = this;
      const len = data.length;
      for (let pos = 0; pos < len; ) {
        const take = Math.min(blockLen - this.pos, len - pos);
        for (let i = 0; i < take; i++)
          state[this.pos++] ^= data[pos++];
        if (this.pos === blockLen)
          this.keccak();
      }
      return this;
    }
    finish() {
      if (this.finished)
        return;
      this.finished = true;
      const { state, suffix, pos, blockLen } = this;
      state[pos] ^= suffix;
      if ((suffix & 128) !== 0 && pos === blockLen - 1)
        this.keccak();
      state[blockLen - 1] ^= 128;
      this.keccak();
    }
    writeInto(out) {
      aexists(this, false);
      abytes(out);
      this.finish();
      const bufferOut = this.state;
      const { blockLen } = this;
      for (let pos = 0, len = out.length; pos < len; ) {
        if (this.posOut >= blockLen)
          this.keccak();
        const take = Math.min(blockLen - this.posOut, len - pos);
        out.set(bufferOut.subarray(this.posOut, this.posOut + take), pos);
        this.posOut += take;
        pos += take;
      }
      return out;
    }
    xofInto(out) {
      if (!this.enableXOF)
        throw new Error("XOF is not possible for this instance");
      return this.writeInto(out);
    }
    xof(bytes) {
      anumber(bytes);
      return this.xofInto(new Uint8Array(bytes));
    }
    digestInto(out) {
      aoutput(out, this);
      if (this.finished)
        throw new Error("digest() was already called");
      this.writeInto(out);
      this.destroy();
      return out;
    }
    digest() {
      return this.digestInto(new Uint8Array(this.outputLen));
    }
    destroy() {
      this.destroyed = true;
      clean(this.state);
    }
    _cloneInto(to) {
      const { blockLen, suffix, outputLen, rounds, enableXOF } = this;
      to ||= new _Keccak(blockLen, suffix, outputLen, enableXOF, rounds);
      to.state32.set(this.state32);
      to.pos = this.pos;
      to.posOut = this.posOut;
      to.finished = this.finished;
      to.rounds = rounds;
      to.suffix = suffix;
      to.outputLen = outputLen;
      to.enableXOF = enableXOF;
      to.destroyed = this.destroyed;
      return to;
    }
  };
  var genKeccak = (suffix, blockLen, outputLen, info = {}) => createHasher(() => new Keccak(blockLen, suffix, outputLen), info);
  var keccak_256 = /* @__PURE__ */ genKeccak(1, 136, 32);

  // portal/static_src/verify/signatures.js
  var MAX_GUARDIANS = 32;
  var HEX = /^[0-9a-fA-F]*$/;
  var XONLY = /^[0-9a-f]{64}$/;
  var EVM_SIGNATURE = /^0x[0-9a-f]{130}$/;
  var N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  var HALF_ORDER = N >> 1n;
  var bytesToHex2 = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  function hexToBytes2(hex) {
    if (typeof hex !== "string" || hex.length % 2 || !HEX.test(hex)) return null;
    const out = new Uint8Array(hex.length / 2);
    for (let k = 0; k < out.length; k++) out[k] = parseInt(hex.slice(2 * k, 2 * k + 2), 16);
    return out;
  }
  function verifyBip340(pubkeyHex, digest32, sigHex) {
    const pub = hexToBytes2(pubkeyHex);
    const sig = hexToBytes2(sigHex);
    if (!pub || !sig || pub.length !== 32 || sig.length !== 64 || digest32.length !== 32) return false;
    try {
      return schnorr.verify(sig, digest32, pub);
    } catch {
      return false;
    }
  }
  function isXonlyPubkey(hex) {
    if (typeof hex !== "string" || !XONLY.test(hex)) return false;
    try {
      schnorr.utils.lift_x(BigInt("0x" + hex));
      return true;
    } catch {
      return false;
    }
  }
  var KEY_ID = /^[A-Za-z0-9._:-]{1,64}$/;
  var ENTRY_SHAPES = {
    // alg -> the exact members the schema requires (additionalProperties: false) and their patterns.
    bip340: { key_id: KEY_ID, pubkey: /^[0-9a-f]{64}$/, sig: /^[0-9a-f]{128}$/ },
    eip712: { key_id: KEY_ID, address: /^0x[0-9a-f]{40}$/, sig: /^0x[0-9a-f]{130}$/ }
  };
  function signatureShapeProblems(signatures, algs, maxItems) {
    if (!Array.isArray(signatures)) return ["$.signatures: fails 'type' (an array)"];
    const problems = [];
    if (maxItems !== null && signatures.length > maxItems) problems.push(`$.signatures: fails 'maxItems' (${maxItems})`);
    signatures.forEach((entry, i) => {
      const at2 = `$.signatures[${i}]`;
      if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
        problems.push(`${at2}: fails 'type' (an object)`);
        return;
      }
      const alg = entry.alg;
      if (typeof alg !== "string" || !algs.includes(alg)) {
        problems.push(`${at2}.alg: must be ${algs.map((a) => JSON.stringify(a)).join(" or ")}`);
        return;
      }
      const shape = ENTRY_SHAPES[alg];
      for (const name of Object.keys(entry)) {
        if (name !== "alg" && !(name in shape)) problems.push(`${at2}: fails 'additionalProperties' (member ${JSON.stringify(name.slice(0, 64))})`);
      }
      for (const [name, pattern] of Object.entries(shape)) {
        if (!Object.prototype.hasOwnProperty.call(entry, name)) problems.push(`${at2}: fails 'required' (member ${JSON.stringify(name)})`);
        else if (typeof entry[name] !== "string") problems.push(`${at2}.${name}: fails 'type' (a string)`);
        else if (!pattern.test(entry[name])) problems.push(`${at2}.${name}: fails 'pattern' ${pattern.source}`);
      }
    });
    return problems;
  }
  var validBip340 = (entry, digest32) => entry.alg === "bip340" && verifyBip340(entry.pubkey, digest32, entry.sig);
  var utf8 = (s) => new TextEncoder().encode(s);
  var concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at2 = 0;
    for (const p of parts) out.set(p, at2), at2 += p.length;
    return out;
  };
  function word(value, bits) {
    const v = BigInt(value);
    if (v < 0n || v >= 1n << BigInt(bits)) throw new Problem(`value out of range for uint${bits}`);
    return hexToBytes2(v.toString(16).padStart(64, "0"));
  }
  var STATUS_CODES = { healthy: 0, warning: 1, undercollateralized: 2, stale: 3 };
  var DOMAIN_TYPE = "EIP712Domain(string name,string version)";
  var ATTESTATION_TYPE = "Attestation(bytes32 id,uint64 sequence,uint8 status,uint256 ratioBp,uint256 reservesSat,uint256 supplySat,uint64 issuedAt)";
  function eip712Digest(attId, body) {
    const domain = keccak_256(concat(keccak_256(utf8(DOMAIN_TYPE)), keccak_256(utf8("Reserves attestation")), keccak_256(utf8("1"))));
    if (!(body.status in STATUS_CODES)) throw new Problem("unknown status");
    const struct = keccak_256(
      concat(
        keccak_256(utf8(ATTESTATION_TYPE)),
        hexToBytes2(attId),
        word(body.sequence, 64),
        word(STATUS_CODES[body.status], 8),
        word(body.ratio_bp === null ? 0 : body.ratio_bp, 256),
        word(body.reserves.total_sat, 256),
        word(body.supply.total_sat, 256),
        word(parseTimestamp(body.issued_at), 64)
      )
    );
    return keccak_256(concat(new Uint8Array([25, 1]), domain, struct));
  }
  function eip712Recover(attId, body, sigHex) {
    if (typeof sigHex !== "string" || !EVM_SIGNATURE.test(sigHex)) return null;
    const s = BigInt("0x" + sigHex.slice(66, 130));
    const v = parseInt(sigHex.slice(130), 16);
    if (s < 1n || s > HALF_ORDER || v !== 27 && v !== 28) return null;
    try {
      const rs = hexToBytes2(sigHex.slice(2, 130));
      const compressed = secp256k1.recoverPublicKey(concat(new Uint8Array([v - 27]), rs), eip712Digest(attId, body), { prehash: false });
      const point = secp256k1.Point.fromBytes(compressed).toBytes(false);
      return "0x" + bytesToHex2(keccak_256(point.subarray(1)).subarray(12));
    } catch {
      return null;
    }
  }
  function guardianSetOf(value) {
    if (value === null) return null;
    const keys = value.keys.map((k) => [k.key_id, k.pubkey]);
    const n = keys.length;
    const t = value.threshold;
    if (n < 1 || n > MAX_GUARDIANS) throw new Problem(`guardians: from 1 to ${MAX_GUARDIANS} keys`);
    if (typeof t !== "number" || !Number.isInteger(t) || t < 1 || t > n) {
      throw new Problem(`guardians.threshold: must be from 1 to the number of keys (${n}), got ${t}`);
    }
    if (new Set(keys.map((k) => k[0])).size !== n) throw new Problem("guardians: key_id values must be unique");
    if (new Set(keys.map((k) => k[1])).size !== n) throw new Problem("guardians: the same pubkey is listed twice");
    const bad = keys.find((k) => !isXonlyPubkey(k[1]));
    if (bad) throw new Problem(`guardians: key '${bad[0]}' is not a BIP-340 x-only public key (64 lowercase hex)`);
    return { threshold: t, keys };
  }
  function guardianSet(doc) {
    return "signers" in doc ? guardianSetOf(doc.signers.guardians) : null;
  }
  var sameGuardians = (a, b) => a !== null && b !== null && a.threshold === b.threshold && JSON.stringify(a.keys) === JSON.stringify(b.keys);
  function tallyKeys(doc, attId, keys) {
    const digest32 = hexToBytes2(attId);
    const members = new Map(keys.map(([k, p]) => [p, k]));
    const seen = [];
    for (const entry of doc.signatures || []) {
      const name = members.get(entry.pubkey);
      if (name !== void 0 && !seen.includes(name) && validBip340(entry, digest32)) seen.push(name);
    }
    return seen;
  }
  function checkDeclared(signers, add) {
    let found;
    try {
      found = guardianSetOf(signers.guardians);
    } catch (exc) {
      add("guardian_set", false, exc instanceof Problem ? exc.detail : "malformed guardian set");
      return null;
    }
    if (found !== null) {
      const own = /* @__PURE__ */ new Set([signers.engine.pubkey, ...signers.rotation ? [signers.rotation.from.pubkey] : []]);
      const mixed = found.keys.map((k) => k[1]).filter((p) => own.has(p)).sort();
      add("guardian_set", !mixed.length, mixed.length ? `an engine key is also a guardian: ${mixed[0].slice(0, 16)}…` : "no engine key among the guardians");
    }
    return found;
  }
  function checkTally(doc, attId, guardians, options, add) {
    if (guardians === null) {
      if (doc.signers.guardians !== null) return;
      add("guardians", true, "no guardian set declared: the engine's signature makes it final");
      return;
    }
    const names = tallyKeys(doc, attId, guardians.keys);
    const text = `${names.length} of ${guardians.threshold} required (${guardians.keys.length} guardians): ${names.join(", ") || "none signed"}`;
    if (names.length >= guardians.threshold) add("guardians", true, "final: " + text);
    else if (options.allowPending) add("guardians", true, "pending (allowed): " + text);
    else add("guardians", false, "pending: " + text + " (accepting pending attestations lets it pass)");
  }
  function trustedProblem(trusted) {
    return trusted === null ? "no trusted keys given" : null;
  }
  function checkSignaturesPlain(doc, attId, trusted, require2, options, add) {
    const digest32 = hexToBytes2(attId);
    const problem = trustedProblem(trusted);
    if (problem) add("trusted", false, problem);
    const good = /* @__PURE__ */ new Set();
    doc.signatures.forEach((entry, i) => {
      const valid = verifyBip340(entry.pubkey, digest32, entry.sig);
      add(`signature[${i}]`, valid, `${entry.key_id}: ` + (valid ? "valid BIP-340" : "invalid BIP-340 signature"));
      if (problem) return;
      const label = trusted.get(entry.pubkey);
      if (label === void 0) {
        add(`trusted[${i}]`, false, `pubkey ${entry.pubkey} is not a trusted key`);
        return;
      }
      add(`trusted[${i}]`, true, `trusted key ${label}`);
      if (valid) good.add(entry.pubkey);
    });
    add("signatures", good.size >= require2, `${good.size} distinct trusted valid signer(s), ${require2} required`);
  }
  function checkSigners(doc, attId, trusted, require2, options, add) {
    const signers = doc.signers;
    const engine = signers.engine.pubkey;
    const old = signers.rotation === null ? null : signers.rotation.from.pubkey;
    const guardians = checkDeclared(signers, add);
    const guardianKeys = new Set(guardians === null ? [] : guardians.keys.map((k) => k[1]));
    const digest32 = hexToBytes2(attId);
    const validKeys = /* @__PURE__ */ new Set();
    doc.signatures.forEach((entry, i) => {
      if (entry.alg === "eip712") {
        const got = eip712Recover(attId, doc, entry.sig);
        const want = (signers.eip712 || {}).address;
        const ok = got !== null && got === entry.address && entry.address === want;
        add(`signature[${i}]`, ok, `${entry.key_id}: EIP-712 ` + (ok ? `by ${got}` : `recovers ${got}, signers.eip712 says ${want}`));
        return;
      }
      const pubkey = entry.pubkey;
      const role = pubkey === engine ? "engine" : pubkey === old ? "replaced engine key" : guardianKeys.has(pubkey) ? "guardian" : null;
      const valid = validBip340(entry, digest32);
      if (role === null) {
        const what = valid ? " (valid BIP-340; counted only by the chain's guardian check)" : ": invalid BIP-340 signature";
        add(`signature[${i}]`, valid, `${entry.key_id}: pubkey ${String(pubkey).slice(0, 16)}… is no signer this body names${what}`);
        return;
      }
      add(`signature[${i}]`, valid, `${entry.key_id} (${role}): ` + (valid ? "valid BIP-340" : "invalid BIP-340 signature"));
      if (valid) validKeys.add(pubkey);
    });
    add("engine", validKeys.has(engine), `engine key ${engine.slice(0, 16)}… ` + (validKeys.has(engine) ? "signed" : "did not sign validly"));
    if (old !== null) {
      add("rotation", validKeys.has(old) && old !== engine, `replaced key ${old.slice(0, 16)}… ` + (validKeys.has(old) ? "signed the rotation" : "did not sign"));
    }
    if (signers.eip712 !== null) {
      const found = doc.signatures.some((e) => e.alg === "eip712");
      add("eip712", found, found ? "EIP-712 signature present" : "signers.eip712 is set but no EIP-712 signature is present");
    }
    const problem = trustedProblem(trusted);
    if (problem) {
      add("trusted", false, problem);
    } else {
      const anchors = [engine, old].filter((k) => k !== null && trusted.has(k) && validKeys.has(k));
      if (anchors.length) {
        const via = anchors[0] === engine ? "the engine key" : "the replaced key (a rotation it signed)";
        add("trusted", true, `signed by ${via}, trusted as ${trusted.get(anchors[0])}`);
      } else {
        add("trusted", false, `neither the engine key ${engine} nor a replaced key is a trusted key`);
      }
      add("signatures", anchors.length >= require2, `${anchors.length} distinct trusted valid signer(s), ${require2} required`);
    }
    checkTally(doc, attId, guardians, options, add);
  }
  function rotationIntroduces(doc, attId, trusted) {
    if (!("signers" in doc) || doc.signers.rotation === null || trusted === null) return null;
    const old = doc.signers.rotation.from.pubkey;
    if (!trusted.has(old)) return null;
    const digest32 = hexToBytes2(attId);
    return doc.signatures.some((s) => s.pubkey === old && validBip340(s, digest32)) ? doc.signers.engine.pubkey : null;
  }
  function engineKeys(doc) {
    if ("signers" in doc) return /* @__PURE__ */ new Set([doc.signers.engine.pubkey]);
    return new Set(doc.signatures.filter((s) => s.alg === "bip340").map((s) => s.pubkey));
  }

  // portal/static_src/verify/tiers.js
  function declarationProblems(tiers) {
    const problems = [];
    const names = tiers.map((t) => t.name);
    const sorted = [...new Set(names)].sort();
    if (names.length !== sorted.length || names.some((n, i) => n !== sorted[i])) problems.push("tiers are not sorted by name or a name repeats");
    if (tiers.reduce((sum, t) => sum + BigInt(t.target_bp), 0n) !== BP_SCALE) problems.push(`tier targets do not sum to ${BP_SCALE} bp`);
    const wallets = tiers.flatMap((t) => t.wallets);
    if (new Set(wallets).size !== wallets.length) problems.push("a wallet is in two tiers");
    const unlocked = new Set(tiers.filter((t) => !t.locked).map((t) => t.name));
    for (const t of tiers) {
      if (t.locked !== (t.unlocked_to !== null) || t.locked && !unlocked.has(t.unlocked_to)) {
        problems.push(`tier ${t.name}: unlocked_to must name a tier that is not locked, exactly when locked`);
      }
      const sortedWallets = [...t.wallets].sort();
      if (t.wallets.some((w, i) => w !== sortedWallets[i])) problems.push(`tier ${t.name}: wallets are not sorted`);
    }
    return problems;
  }
  function tierAmounts(tiers, sources) {
    const home = /* @__PURE__ */ new Map();
    for (const t of tiers) for (const w of t.wallets) home.set(w, t);
    const byName = new Map(tiers.map((t) => [t.name, t]));
    const amounts = new Map(tiers.map((t) => [t.name, 0n]));
    const unassigned = /* @__PURE__ */ new Map();
    let basis = 0n;
    for (const s of sources) {
      if ("error" in s) continue;
      for (const u of s.utxos) {
        const value = BigInt(u.value_sat);
        basis += value;
        let tier = home.get(u.wallet);
        if (tier === void 0) {
          unassigned.set(u.wallet, (unassigned.get(u.wallet) || 0n) + value);
          continue;
        }
        if (tier.locked && u.lock === null) tier = byName.get(tier.unlocked_to) || tier;
        amounts.set(tier.name, amounts.get(tier.name) + value);
      }
    }
    return { amounts, basis, unassigned };
  }
  var cmp = (a, b) => a < b ? -1 : a > b ? 1 : 0;
  function expectedTiers(member2, sources) {
    const { amounts, basis, unassigned } = tierAmounts(member2.tiers, sources);
    const complete = sources.every((s) => !("error" in s));
    const tiers = member2.tiers.map((t) => {
      const amount = amounts.get(t.name);
      const share = complete && basis > 0n ? amount * BP_SCALE / basis : null;
      const gap = share === null ? null : share - BigInt(t.target_bp);
      const inBand = gap === null ? null : (gap < 0n ? -gap : gap) <= BigInt(t.band_bp);
      return { name: t.name, amount_sat: String(amount), share_bp: share === null ? null : String(share), in_band: inBand };
    });
    const findings = [];
    for (const t of member2.tiers.map((d, i) => ({ ...d, ...tiers[i] }))) {
      if (t.in_band === false) {
        findings.push({ code: "tier_out_of_band", category: "policy", subject: t.name, detail: `share ${t.share_bp} bp is outside ${t.target_bp} +/- ${t.band_bp} bp` });
      }
    }
    for (const [wallet, value] of [...unassigned.entries()].sort((a, b) => cmp(a[0], b[0]))) {
      findings.push({ code: "wallet_unassigned", category: "policy", subject: wallet, detail: `${value} sat of wallet ${wallet} are in no tier` });
    }
    for (const c of member2.contracts) {
      for (const code of c.findings) findings.push({ code, category: "contract", subject: c.name, detail: `contract ${c.name}: ${code}` });
    }
    return { complete, basis_sat: String(basis), tiers, findings };
  }
  var same2 = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  var findingText = (f) => [f.code, f.category, f.subject, f.detail];
  function checkTiers(doc) {
    const member2 = doc.tiers;
    if (member2 === null) return [];
    const problems = declarationProblems(member2.tiers);
    if (problems.length) return problems;
    const want = expectedTiers(member2, doc.reserves.sources);
    for (const key of ["complete", "basis_sat"]) {
      if (member2[key] !== want[key]) problems.push(`tiers.${key} ${member2[key]} but the counted outputs give ${want[key]}`);
    }
    member2.tiers.forEach((got, i) => {
      for (const key of ["amount_sat", "share_bp", "in_band"]) {
        if (got[key] !== want.tiers[i][key]) problems.push(`tier ${got.name}: ${key} ${got[key]} but the rule gives ${want.tiers[i][key]}`);
      }
    });
    if (!same2(member2.findings.map(findingText), want.findings.map(findingText))) {
      problems.push("tiers.findings are not the findings the tiers and contracts give");
    }
    return problems;
  }

  // portal/static_src/verify/checks.js
  var PASS = "pass";
  var FAIL = "fail";
  var SKIP = "not checked";
  var NOT_HERE = "not recomputed in the browser: run reserves verify for it";
  var SKIPPED = {
    schema: "signature entries and the envelope checked as the JSON Schema states them; the schema of the body (which the id covers) is not applied in the browser (reserves verify applies it)",
    counting: NOT_HERE,
    held: NOT_HERE,
    window: NOT_HERE,
    flows: NOT_HERE,
    scope: NOT_HERE,
    contracts: "derives each contract's script from its descriptor: run reserves verify for it"
  };
  var CHAIN_SKIPPED = { "chain.flows": NOT_HERE, "chain.window": NOT_HERE };
  var step = (name, run2, note = () => "consistent") => ({ name, run: run2, note });
  var LINK = step("link", checkLink);
  var TIMESTAMPS = step("timestamps", checkTimestamps);
  var POLICY = step("policy", checkPolicy);
  var RESERVES = step("reserves", checkReserves);
  var SUPPLY = step("supply", checkSupply);
  var TOTALS = step("totals", (d) => checkTotals(d, true));
  var TOTALS_UNSPLIT = step("totals", (d) => checkTotals(d, false));
  var RATIO = step("ratio", checkRatio);
  var STATUS_PLAIN = step("status", checkStatusPlain);
  var STATUS_HYSTERESIS = step("status", checkStatusHysteresis);
  var WALLETS = step("wallets", checkWallets);
  var VALID_AT = step("valid_at", checkValidAt);
  var RPC = step("rpc", checkRpc);
  var TIERS = step("tiers", checkTiers);
  var PROVIDERS = step("providers", checkProviders, (d) => d.providers === null ? "no providers declared" : "consistent");
  var COMMON = [LINK, TIMESTAMPS, POLICY, RESERVES, SUPPLY];
  var PLAIN = { algs: ["bip340"], maxItems: null };
  var FORMATS = {
    "reserves-attestation/1": { ...PLAIN, order: 1, signatures: checkSignaturesPlain, checks: [...COMMON, TOTALS_UNSPLIT, RATIO, STATUS_PLAIN] },
    "reserves-attestation/2": {
      ...PLAIN,
      order: 2,
      signatures: checkSignaturesPlain,
      checks: [...COMMON, TOTALS, RATIO, STATUS_PLAIN, WALLETS, "counting", VALID_AT]
    },
    "reserves-attestation/3": {
      ...PLAIN,
      order: 3,
      signatures: checkSignaturesPlain,
      checks: [...COMMON, TOTALS, RATIO, STATUS_PLAIN, WALLETS, "counting", VALID_AT, "held", RPC]
    },
    "reserves-attestation/4": {
      algs: ["bip340", "eip712"],
      maxItems: 64,
      order: 4,
      signatures: checkSigners,
      checks: [...COMMON, TOTALS, RATIO, STATUS_HYSTERESIS, WALLETS, "counting", VALID_AT, "held", RPC, "window", "flows", "scope"],
      chain: ["status_basis", "keys", "guardians"]
      // the chain checks of its row this page runs
    }
  };
  FORMATS["reserves-attestation/5"] = {
    ...FORMATS["reserves-attestation/4"],
    order: 5,
    checks: [...FORMATS["reserves-attestation/4"].checks, TIERS, "contracts", PROVIDERS],
    chain: [...FORMATS["reserves-attestation/4"].chain, "providers"]
  };
  var Report = class {
    constructor() {
      this.checks = [];
      this.document = null;
      this.id = null;
    }
    add(name, verdict, detail) {
      this.checks.push({ name, verdict, detail });
      return verdict === PASS;
    }
    get ok() {
      return this.checks.some((c) => c.verdict === PASS) && !this.checks.some((c) => c.verdict === FAIL);
    }
  };
  var detailOf = (exc) => exc instanceof Problem || exc instanceof JsonError ? exc.detail : `malformed document (${exc.name || "error"})`;
  function attestationId(document2) {
    return bytesToHex2(sha256(new TextEncoder().encode(jcs(bodyOf(document2)))));
  }
  function readDocument(text, report, prefix = "") {
    let value;
    try {
      value = parseJson(text);
    } catch (exc) {
      report.add(prefix + "json", FAIL, detailOf(exc));
      return null;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      report.add(prefix + "json", FAIL, "expected a JSON object");
      return null;
    }
    const keys = Object.keys(value);
    let claimed = null;
    if (keys.length === 2 && "id" in value && "attestation" in value) {
      claimed = value.id;
      value = value.attestation;
      if (value === null || typeof value !== "object" || Array.isArray(value) || typeof claimed !== "string") {
        report.add(prefix + "json", FAIL, "envelope needs a string id and an object attestation");
        return null;
      }
    }
    report.add(prefix + "json", PASS, claimed === null ? "bare attestation document" : "envelope with id and attestation");
    const problem = domainProblem(value);
    if (problem) {
      report.add(prefix + "domain", FAIL, problem);
      return null;
    }
    report.add(prefix + "domain", PASS, "JSON-safe values, depth <= 64");
    return { doc: value, claimed };
  }
  function verifyDocument(doc, claimed, expectedId, trusted, options, report, prefix = "") {
    const add = (name, ok, detail) => report.add(prefix + name, ok ? PASS : FAIL, detail);
    const row2 = FORMATS[doc.format];
    if (!row2) {
      add("schema", false, `$.format: ${JSON.stringify(String(doc.format).slice(0, 64))} is not a format this page knows`);
      return null;
    }
    const shape = signatureShapeProblems(doc.signatures, row2.algs, row2.maxItems);
    if (shape.length) {
      add("schema", false, shape.slice(0, 10).join("; "));
      return null;
    }
    report.add(prefix + "schema", SKIP, SKIPPED.schema);
    let computed;
    try {
      computed = attestationId(doc);
    } catch (exc) {
      add("id", false, detailOf(exc));
      return null;
    }
    const wrong = [];
    if (claimed !== null && claimed !== computed) wrong.push(`the envelope says ${String(claimed).slice(0, 80)}`);
    if (computed !== expectedId) wrong.push(`the id asked for is ${expectedId}`);
    const said = claimed === null ? "no envelope id" : "the envelope's id";
    add("id", !wrong.length, `computed ${computed}` + (wrong.length ? ", but " + wrong.join(" and ") : `: ${said} and the id asked for match`));
    try {
      row2.signatures(doc, computed, trusted, 1, options, add);
    } catch (exc) {
      add("signatures", false, detailOf(exc));
    }
    for (const st of row2.checks) {
      if (typeof st === "string") {
        report.add(prefix + st, SKIP, SKIPPED[st]);
        continue;
      }
      let problems;
      try {
        problems = st.run(doc);
      } catch (exc) {
        problems = [detailOf(exc)];
      }
      add(st.name, problems.length === 0, problems.slice(0, 10).join("; ") || st.note(doc));
    }
    return computed;
  }
  function verifyLink(a, aId, b, bId, options, report) {
    const add = (name, ok, detail) => report.add("chain." + name, ok ? PASS : FAIL, detail);
    const fa = FORMATS[a.format];
    const fb = FORMATS[b.format];
    add("format", fb.order >= fa.order, fb.order >= fa.order ? "the format never goes back to an older one" : `sequence ${b.sequence} is ${b.format} after ${a.format}`);
    let seq = `sequences ${a.sequence}..${b.sequence} without gaps or repeats`;
    if (a.sequence === b.sequence) seq = `${aId === bId ? "duplicate" : "fork"}: sequence ${a.sequence} appears twice`;
    else if (b.sequence !== a.sequence + 1) seq = `gap: sequence ${a.sequence} is followed by ${b.sequence}`;
    add("sequence", b.sequence === a.sequence + 1, seq);
    const broken = b.sequence === a.sequence + 1 && b.previous !== aId;
    add("links", !broken, broken ? `sequence ${b.sequence}: previous ${b.previous} is not ${aId}` : "each previous is the id of the one before");
    const back = b.issued_at < a.issued_at;
    add("time", !back, back ? `sequence ${b.sequence} issued ${b.issued_at}, before ${a.issued_at}` : "issued_at never goes backwards");
    const rowsOf = (f) => f.chain || [];
    if (a.sequence === b.sequence || !(rowsOf(fa).length || rowsOf(fb).length)) return;
    const run2 = b.sequence === a.sequence + 1 ? a : null;
    const rows = [
      ["status_basis", (x, y) => [chainStatusBasis(x, y), []], "each previous_status and previous_level is the chain's"],
      ["keys", chainKeys, "the engine key changes only by a rotation the key before signed"],
      ["guardians", chainGuardians, "guardian set changes co-signed by the set before"],
      ["providers", chainProviders, "each provider's previous_state is its state before"]
    ].filter(([name]) => rowsOf(fa).includes(name) || rowsOf(fb).includes(name));
    for (const [name, check, note] of rows) {
      if (!rowsOf(fb).includes(name) || run2 === null) {
        add(name, true, note);
        continue;
      }
      let problems;
      let pending = [];
      try {
        [problems, pending] = check(run2, b, options, bId);
      } catch (exc) {
        problems = [`sequence ${b.sequence}: ${detailOf(exc)}`];
      }
      add(name, problems.length === 0, problems.slice(0, 10).join("; ") || (pending.length ? "pending (allowed): " + pending.slice(0, 10).join("; ") : note));
    }
    for (const [name, why] of Object.entries(CHAIN_SKIPPED)) report.add(name, SKIP, why);
  }
  function chainKeys(a, b) {
    const before = engineKeys(a);
    const engine = b.signers.engine.pubkey;
    const rotation = b.signers.rotation;
    if (rotation !== null && !before.has(rotation.from.pubkey)) {
      return [[`sequence ${b.sequence}: the rotation replaces ${rotation.from.pubkey.slice(0, 16)}…, which did not make the attestation before`], []];
    }
    if (rotation === null && !before.has(engine)) {
      return [[`sequence ${b.sequence}: engine key ${engine.slice(0, 16)}… differs from the one before without a rotation`], []];
    }
    return [[], []];
  }
  function chainGuardians(a, b, options, bId) {
    const old = guardianSet(a);
    const now = guardianSet(b);
    if (old === null || sameGuardians(old, now)) return [[], []];
    const signed = tallyKeys(b, bId, old.keys);
    if (signed.length >= old.threshold) return [[], []];
    const problem = `sequence ${b.sequence} changes the guardian set but only ${signed.length} of the ${old.threshold} guardians before co-signed it`;
    return options.allowPending ? [[], [problem]] : [[problem], []];
  }
  function verifyAttestation({ current, previous, trusted, options }) {
    const report = new Report();
    const read = readDocument(current.text, report);
    if (read === null) return report;
    const doc = read.doc;
    report.document = doc;
    let trust = trusted;
    let before = null;
    const served = previous && !previous.missing;
    if (served) {
      const pread = readDocument(previous.text, report, "previous.");
      const pdoc = pread === null ? null : pread.doc;
      const pid = pread === null ? null : verifyDocument(pdoc, pread.claimed, previous.id, trust, options, report, "previous.");
      if (pid !== null) {
        before = { doc: pdoc, id: pid };
        const introduced = rotationIntroduces(pdoc, pid, trust);
        if (introduced !== null && !trust.has(introduced)) {
          trust = new Map(trust);
          trust.set(introduced, `rotated in at sequence ${pdoc.sequence}`);
        }
      }
    }
    const id = verifyDocument(doc, read.claimed, current.id, trust, options, report);
    report.id = id;
    if (served) {
      if (before === null || id === null) {
        const which = [before === null ? "the previous attestation" : null, id === null ? "this one" : null].filter(Boolean);
        report.add("chain", FAIL, `${which.join(" and ")} unreadable; chain not checked`);
      } else verifyLink(before.doc, before.id, doc, id, options, report);
    } else if (previous) {
      report.add("chain", SKIP, `not checked: the previous attestation is not served here (${previous.missing}); reserves verify --previous checks the link`);
    }
    return report;
  }
  function previousOf(text) {
    try {
      const value = parseJson(text);
      const doc = value && value.attestation && typeof value.attestation === "object" ? value.attestation : value;
      return typeof doc.previous === "string" && /^[0-9a-f]{64}$/.test(doc.previous) ? doc.previous : null;
    } catch {
      return null;
    }
  }

  // portal/static_src/verify/page.js
  var STORE = "reserves-portal.pinned-keys";
  var HEX64 = /^[0-9a-fA-F]{64}$/;
  var PAGE_PATH = /^\/attestations\/([0-9a-f]{64})$/;
  var NOT_SERVED = /* @__PURE__ */ new Set([404, 410]);
  var InputProblem = class extends Error {
  };
  function keyProblem(text) {
    const shown = text.length <= 80 ? text : text.slice(0, 77) + "...";
    const hint = /^0[23][0-9a-fA-F]{64}$/.test(text) ? " (a 33-byte compressed key: drop its 02/03 prefix to get the x-only key)" : "";
    return `'${shown}' is not a BIP-340 x-only public key: expected 64 hex digits, got ${text.length} characters${hint}`;
  }
  function parseKeys(text, where) {
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
    const keys = /* @__PURE__ */ new Map();
    items.forEach((item, i) => {
      const pubkey = typeof item === "string" ? item : item && typeof item.pubkey === "string" ? item.pubkey : null;
      if (pubkey === null) throw new InputProblem(`${where}: key entry ${i} has no pubkey`);
      if (!HEX64.test(pubkey)) throw new InputProblem(`${where}: ${keyProblem(pubkey)}`);
      keys.set(pubkey.toLowerCase(), typeof item === "string" ? "pinned" : String(item.key_id || "pinned"));
    });
    return keys;
  }
  function idFromPath(pathname) {
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
    if (got.text === void 0) throw new InputProblem(`GET ${url}: HTTP ${got.status}`);
    return got.text;
  }
  var shortText = (v) => {
    const text = typeof v === "string" ? v : v !== null && typeof v === "object" && "text" in v ? String(v.text) : JSON.stringify(v) ?? String(v);
    return text.length <= 100 ? text : text.slice(0, 97) + "...";
  };
  var DIGITS = /^(0|[1-9][0-9]*)$/;
  var grouped = (n) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  function btc(sat) {
    if (typeof sat !== "string" || !DIGITS.test(sat)) return shortText(sat);
    const n = BigInt(sat);
    return `${grouped(n / 100000000n)}.${(n % 100000000n).toString().padStart(8, "0")} BTC (${sat} sat)`;
  }
  function percent(bp) {
    if (bp === null) return "no ratio (null)";
    if (typeof bp !== "string" || !DIGITS.test(bp)) return shortText(bp);
    const n = BigInt(bp);
    return `${grouped(n / 100n)}.${(n % 100n).toString().padStart(2, "0")}% (${bp} bp)`;
  }
  var member = (v, ...path) => path.reduce((x, k) => x !== null && typeof x === "object" && k in x ? x[k] : void 0, v);
  function figuresOf(doc, id) {
    const get2 = (...path) => {
      const v = member(doc, ...path);
      return v === void 0 ? "(missing)" : v;
    };
    return [
      ["id", "Id (computed)", id === null ? "not computed" : id],
      ["sequence", "Sequence", shortText(get2("sequence"))],
      ["issued_at", "Issued at", shortText(get2("issued_at"))],
      ["status", "Status", shortText(get2("status"))],
      ["ratio", "Ratio", get2("ratio_bp") === "(missing)" ? "(missing)" : percent(get2("ratio_bp"))],
      ["reserves", "Reserves total", btc(get2("reserves", "total_sat"))],
      ["supply", "Supply total", btc(get2("supply", "total_sat"))]
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
      })
    );
  }
  var $ = (root, name) => root.querySelector(`[data-verify-${name}]`);
  function remembered() {
    try {
      return window.localStorage.getItem(STORE);
    } catch {
      return null;
    }
  }
  function remember(root, text) {
    try {
      if ($(root, "remember").checked && text.trim()) window.localStorage.setItem(STORE, text.trim());
      else window.localStorage.removeItem(STORE);
    } catch {
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
      const id = idFromPath(window.location.pathname);
      let trusted;
      let keysNote;
      if (fetched) {
        trusted = parseKeys(await getText("/api/v1/keys"), "/api/v1/keys");
        keysNote = `keys fetched from /api/v1/keys (${trusted ? trusted.size : 0})`;
      } else {
        const text2 = $(root, "pinned").value;
        trusted = parseKeys(text2, "pinned keys");
        remember(root, text2);
        keysNote = trusted ? `${trusted.size} pinned key(s)` : "no key pinned";
      }
      const current = { text: await getText(`/api/v1/attestations/${id}`), id };
      const previousId = previousOf(current.text);
      let previous = null;
      if (previousId) {
        const got = await fetchText(`/api/v1/attestations/${previousId}`);
        if (got.text !== void 0) previous = { text: got.text, id: previousId };
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
      const text = report.ok ? `Verified with ${keysNote}: all ${passed} checks this page runs hold (${skipped} not checked here).${unlinked}${what}` : `FAILED with ${keysNote}: ${failed.length} check(s) failed: ${failed.map((c) => c.name).join(", ")}.${unlinked}${what}`;
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
})();
