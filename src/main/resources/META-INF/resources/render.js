// Safe rendering of untrusted text (model replies, search snippets) into DOM nodes. Nothing here parses HTML: every
// piece of text becomes a Text node, and only elements created by this code exist, so a reply containing <script> or
// <img onerror=...> is shown as those characters and runs nothing.

const MAX_DEPTH = 6;

/** A DocumentFragment for a Markdown text (CommonMark-like subset: what chat models write). */
export function renderMarkdown(text) {
  const fragment = document.createDocumentFragment();
  blocks(String(text).replace(/\r\n?/g, '\n').split('\n'), fragment, 0);
  return fragment;
}

/**
 * A search snippet as the server sends it: HTML-escaped text with matched terms in <mark>...</mark>. Only complete,
 * non-nested <mark>...</mark> pairs become elements; every other character, entities decoded, is text.
 */
export function renderSnippet(snippet) {
  const fragment = document.createDocumentFragment();
  const pair = /<mark>((?:(?!<\/?mark>)[\s\S])*)<\/mark>/g;
  const source = String(snippet);
  let last = 0;
  for (let m = pair.exec(source); m; m = pair.exec(source)) {
    if (m.index > last) fragment.append(decodeEntities(source.slice(last, m.index)));
    fragment.append(element('mark', decodeEntities(m[1])));
    last = pair.lastIndex;
  }
  if (last < source.length) fragment.append(decodeEntities(source.slice(last)));
  return fragment;
}

const NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the entities an HTML escaper produces, to plain text (never to markup). */
export function decodeEntities(text) {
  return text.replace(/&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,6});/gi, (whole, name) => {
    if (name[0] !== '#') return NAMED[name.toLowerCase()] ?? whole;
    const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
    return valid ? String.fromCodePoint(code) : '\ufffd';
  });
}

function element(tag, text) {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  return el;
}

// --- blocks -----------------------------------------------------------------------------------------------------

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(\s+|$)(.*)$/;
const TABLE_RULE = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

function blocks(lines, parent, depth) {
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i++; continue; }
    let m;
    if ((m = FENCE.exec(line))) {
      const fence = m[1];
      const code = [];
      i++;
      while (i < lines.length && !closesFence(lines[i], fence)) code.push(lines[i++]);
      i++; // the closing fence; an unclosed one (a reply still streaming) runs to the end
      const pre = element('pre');
      const codeEl = element('code', code.join('\n'));
      if (m[2]) {
        codeEl.className = 'language-' + m[2].replace(/[^\w+#.-]/g, '');
        pre.dataset.lang = m[2];
      }
      pre.append(codeEl);
      parent.append(pre);
      continue;
    }
    if ((m = HEADING.exec(line))) {
      const h = element('h' + Math.min(6, m[1].length + 2));
      inline(m[2] || '', h, 0);
      parent.append(h);
      i++;
      continue;
    }
    if (RULE.test(line)) {
      parent.append(element('hr'));
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted = [];
      while (i < lines.length && (m = QUOTE.exec(lines[i]))) { quoted.push(m[1]); i++; }
      const q = element('blockquote');
      if (depth < MAX_DEPTH) blocks(quoted, q, depth + 1); else q.textContent = quoted.join('\n');
      parent.append(q);
      continue;
    }
    if (ITEM.test(line)) {
      i = list(lines, i, parent, depth);
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      i = table(lines, i, parent);
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() && !startsBlock(lines, i)) para.push(lines[i++]);
    if (!para.length) para.push(lines[i++]); // a line that looked like a block but was not one
    const p = element('p');
    para.forEach((text, n) => {
      if (n > 0) p.append(element('br'));
      inline(text.trim(), p, 0);
    });
    parent.append(p);
  }
}

function startsBlock(lines, i) {
  const line = lines[i];
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line);
}

function closesFence(line, fence) {
  const t = line.trim();
  return t.length >= fence.length && t[0] === fence[0] && /^(`+|~+)$/.test(t);
}

function list(lines, i, parent, depth) {
  const first = ITEM.exec(lines[i]);
  const ordered = /\d/.test(first[2]);
  const el = element(ordered ? 'ol' : 'ul');
  if (ordered && parseInt(first[2], 10) !== 1) el.start = parseInt(first[2], 10);
  const indent = first[1].length;
  let m;
  while (i < lines.length && (m = ITEM.exec(lines[i])) && m[1].length === indent && /\d/.test(m[2]) === ordered) {
    const width = m[1].length + m[2].length + Math.max(1, m[3].length);
    const content = [m[4]];
    i++;
    // continuation: indented lines (nested lists, wrapped text), and blank lines followed by indented ones
    while (i < lines.length) {
      const next = lines[i];
      if (!next.trim()) {
        if (i + 1 < lines.length && /^\s{2,}\S/.test(lines[i + 1])) { content.push(''); i++; continue; }
        break;
      }
      if (/^\s{2,}\S/.test(next)) { content.push(next.slice(Math.min(width, next.search(/\S/)))); i++; continue; }
      if (!startsBlock(lines, i) && content[content.length - 1].trim()) { content.push(next); i++; continue; }
      break;
    }
    const li = element('li');
    if (depth < MAX_DEPTH) {
      blocks(content, li, depth + 1);
      // a tight item holds its text directly, not in a paragraph
      if (li.childNodes.length >= 1 && li.firstChild.nodeName === 'P' && !content.includes('')) {
        const p = li.firstChild;
        p.replaceWith(...p.childNodes);
      }
    } else {
      li.textContent = content.join('\n');
    }
    el.append(li);
  }
  parent.append(el);
  return i;
}

function cells(line) {
  let t = line.trim();
  if (t.startsWith('|')) t = t.slice(1);
  if (t.endsWith('|') && !t.endsWith('\\|')) t = t.slice(0, -1);
  return t.split(/(?<!\\)\|/).map(c => c.trim().replace(/\\\|/g, '|'));
}

function table(lines, i, parent) {
  const head = cells(lines[i]);
  const align = cells(lines[i + 1]).map(c => (c.endsWith(':') ? (c.startsWith(':') ? 'center' : 'right') : ''));
  const wrap = element('div');
  wrap.className = 'table-wrap';
  const t = element('table');
  const thead = element('thead');
  const tr = element('tr');
  head.forEach((c, n) => tr.append(cell('th', c, align[n])));
  thead.append(tr);
  t.append(thead);
  const body = element('tbody');
  i += 2;
  while (i < lines.length && lines[i].includes('|') && lines[i].trim()) {
    const row = element('tr');
    const values = cells(lines[i]);
    head.forEach((_, n) => row.append(cell('td', values[n] ?? '', align[n])));
    body.append(row);
    i++;
  }
  t.append(body);
  wrap.append(t);
  parent.append(wrap);
  return i;
}

function cell(tag, text, align) {
  const c = element(tag);
  if (align) c.style.textAlign = align;
  inline(text, c, 0);
  return c;
}

// --- inline -----------------------------------------------------------------------------------------------------

const ESCAPABLE = '\\`*_{}[]()#+-.!~|<>';
const URL_SCHEMES = /^(https?:|mailto:)/i;

/** Appends the inline content of one line of text (code spans, links, emphasis) to parent. */
function inline(text, parent, depth) {
  let plain = '';
  const flush = () => { if (plain) { parent.append(plain); plain = ''; } };
  // positions after which a closing delimiter is known to be absent: keeps unmatched '*' runs linear
  const noCloser = {};
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      let run = 1;
      while (text[i + run] === '`') run++;
      const fence = '`'.repeat(run);
      let end = text.indexOf(fence, i + run);
      while (end >= 0 && text[end + run] === '`') end = text.indexOf(fence, end + run + 1);
      if (end < 0) { plain += fence; i += run; continue; }
      let code = text.slice(i + run, end);
      if (code.length > 1 && code.startsWith(' ') && code.endsWith(' ')) code = code.slice(1, -1);
      flush();
      parent.append(element('code', code));
      i = end + run;
      continue;
    }
    if (c === '[' || (c === '!' && text[i + 1] === '[')) {
      const link = parseLink(text, c === '!' ? i + 1 : i);
      if (link) {
        flush();
        appendLink(parent, link.url, link.label, c === '!', depth);
        i = link.end;
        continue;
      }
    }
    if (c === '<') {
      const m = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/i.exec(text.slice(i));
      if (m) {
        flush();
        appendLink(parent, m[1], null, false, depth);
        i += m[0].length;
        continue;
      }
    }
    if ((c === 'h' || c === 'H') && (i === 0 || /[\s(]/.test(text[i - 1]))) {
      const m = /^https?:\/\/[^\s<>"]*[^\s<>".,:;'!?)\]]/i.exec(text.slice(i));
      if (m) {
        flush();
        appendLink(parent, m[0], null, false, depth);
        i += m[0].length;
        continue;
      }
    }
    if ((c === '*' || c === '_' || c === '~') && depth < MAX_DEPTH) {
      const span = emphasis(text, i, noCloser);
      if (span) {
        flush();
        const el = element(span.tag);
        inline(span.inner, el, depth + 1);
        parent.append(el);
        i = span.end;
        continue;
      }
    }
    plain += c;
    i++;
  }
  flush();
}

function emphasis(text, i, noCloser) {
  const c = text[i];
  const double = text[i + 1] === c;
  if (c === '~' && !double) return null;
  const delim = double ? c + c : c;
  const after = text[i + delim.length];
  if (!after || /\s/.test(after)) return null;
  if (c === '_' && i > 0 && /[\p{L}\p{N}]/u.test(text[i - 1])) return null; // snake_case is not emphasis
  if (noCloser[delim] !== undefined && noCloser[delim] <= i) return null;
  let from = i + delim.length + 1;
  for (;;) {
    const end = text.indexOf(delim, from);
    if (end < 0) { noCloser[delim] = i; return null; }
    const okBefore = !/\s/.test(text[end - 1]);
    const okAfter = c !== '_' || !/[\p{L}\p{N}]/u.test(text[end + delim.length] || '');
    const single = double || text[end + 1] !== c; // a single '*' must not close on the first half of '**'
    if (okBefore && okAfter && single) {
      return { tag: c === '~' ? 'del' : double ? 'strong' : 'em', inner: text.slice(i + delim.length, end),
        end: end + delim.length };
    }
    from = end + 1;
  }
}

function parseLink(text, open) {
  let depth = 0;
  let close = -1;
  for (let j = open; j < text.length; j++) {
    if (text[j] === '\\') { j++; continue; }
    if (text[j] === '[') depth++;
    else if (text[j] === ']' && --depth === 0) { close = j; break; }
  }
  if (close < 0 || text[close + 1] !== '(') return null;
  const m = /^\(\s*<?([^\s<>()]*(?:\([^\s<>()]*\)[^\s<>()]*)*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/.exec(text.slice(close + 1));
  if (!m) return null;
  return { label: text.slice(open + 1, close), url: m[1], end: close + 1 + m[0].length };
}

function appendLink(parent, url, label, image, depth) {
  if (!URL_SCHEMES.test(url)) { // javascript:, data:, relative: shown as text, never followed
    parent.append(label === null ? url : (image ? '!' : '') + '[' + label + '](' + url + ')');
    return;
  }
  const a = element('a');
  a.href = url;
  a.rel = 'noopener noreferrer nofollow';
  a.target = '_blank';
  if (image) a.textContent = 'image: ' + (label || url); // images are linked, not loaded
  else if (label === null || label === '') a.textContent = url;
  else inline(label, a, depth + 1);
  parent.append(a);
}
