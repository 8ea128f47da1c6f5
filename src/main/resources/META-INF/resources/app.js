// Parley's chat page: plain DOM, no framework, no build step. Talks to the documented REST API with the API key kept
// in sessionStorage and sent as a bearer header (never in a URL). Untrusted text is only ever set as text
// (textContent, Text nodes) or rendered by render.js, which builds elements itself: nothing here assigns HTML.
import { renderMarkdown, renderSnippet } from './render.js';

const KEY_ITEM = 'parley.apiKey';
const LIST_PAGE = 20;
const HISTORY_PAGE = 100; // the largest page the API gives
const RENDER_CHUNK = 40; // messages added to the DOM at a time; older ones are added on scrolling up
const REQUEST_TIMEOUT_MS = 20000;
const HEALTH_EVERY_MS = 5000;
const HEALTH_RETRY_MS = 2000;
const SEARCH_DELAY_MS = 300;

const $ = id => document.getElementById(id);
const ui = {
  banner: $('banner'), signin: $('signin'), signinForm: $('signin-form'), apiKey: $('api-key'),
  signinError: $('signin-error'), app: $('app'), newChat: $('new-chat'), signOut: $('sign-out'),
  searchForm: $('search-form'), searchInput: $('search-input'), searchResults: $('search-results'),
  searchStatus: $('search-status'), searchList: $('search-list'), searchMore: $('search-more'),
  conversations: $('conversations'), showArchived: $('show-archived'), list: $('conversation-list'),
  listMore: $('list-more'), listStatus: $('list-status'), usage: $('usage'), usageText: $('usage-text'),
  back: $('back'), title: $('chat-title'), modelPicker: $('model-picker'), model: $('model'),
  actions: $('chat-actions'), rename: $('rename'), archive: $('archive'), del: $('delete'),
  renameForm: $('rename-form'), renameInput: $('rename-input'), renameCancel: $('rename-cancel'),
  deleteConfirm: $('delete-confirm'), deleteYes: $('delete-yes'), deleteNo: $('delete-no'),
  messages: $('messages'), chatStatus: $('chat-status'), composer: $('composer'), input: $('composer-input'),
  send: $('send'), stop: $('stop'),
};

const state = {
  key: null,
  archived: false,
  listCursor: null,
  conversations: new Map(), // id -> conversation, as the API returns it
  current: null, // the open conversation; null for a new chat not sent yet
  history: [], // the open conversation's messages, oldest first
  renderedFrom: 0, // index in history of the oldest message in the DOM
  loadToken: 0, // discards answers for a conversation that is no longer open
  streaming: null, // { controller, conversationId }
  search: { available: false, query: '', cursor: null, timer: 0, token: 0 },
  usageAvailable: null, // unknown until the first answer of GET /api/usage
};

// --- talking to the API ---------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(kind, status, problem, retryAfter) {
    super((problem && (problem.detail || problem.title)) || kind);
    this.kind = kind; // 'http', 'network' or 'timeout'
    this.status = status;
    this.problem = problem || {};
    this.retryAfter = retryAfter;
  }

  get slug() {
    return String(this.problem.type || '').split('/').pop();
  }
}

async function request(method, path, { body, signal, accept = 'application/json', timeout = REQUEST_TIMEOUT_MS } = {}) {
  const headers = { Authorization: 'Bearer ' + state.key, Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const signals = [signal, timeout ? AbortSignal.timeout(timeout) : null].filter(Boolean);
  let response;
  try {
    response = await fetch(path, {
      method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
      signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
    });
  } catch (e) {
    if (signal && signal.aborted) throw e; // the caller's own cancellation
    if (e.name === 'TimeoutError') {
      throw new ApiError('timeout', 0, { detail: `no answer within ${timeout / 1000} s` });
    }
    health.check();
    throw new ApiError('network', 0, null);
  }
  if (!response.ok) {
    let problem = null;
    if (/json/.test(response.headers.get('Content-Type') || '')) {
      try { problem = await response.json(); } catch { /* not a problem document after all */ }
    }
    if (response.status >= 500) health.check();
    throw new ApiError('http', response.status, problem, retryAfterSeconds(response.headers.get('Retry-After')));
  }
  return response;
}

async function json(method, path, options) {
  const response = await request(method, path, options);
  return response.status === 204 ? null : response.json();
}

function retryAfterSeconds(value) {
  if (!value) return null;
  if (/^\s*\d+\s*$/.test(value)) return parseInt(value, 10);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function retryWhen(seconds) {
  if (seconds === null || seconds === undefined) return 'Try again in a little while.';
  if (seconds <= 1) return 'Try again in a second.';
  if (seconds < 120) return `Try again in ${seconds} seconds.`;
  if (seconds < 3600) return `Try again in about ${Math.round(seconds / 60)} minutes.`;
  return `Try again at ${new Date(Date.now() + seconds * 1000).toLocaleTimeString()}.`;
}

function sentence(text) {
  const t = String(text || '').trim();
  return t ? ' ' + t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.') : '';
}

/** A problem (or a failure to reach the server) as one readable message. */
function describe(e) {
  if (!(e instanceof ApiError)) return 'Something went wrong on this page: ' + (e && e.message ? e.message : e);
  if (e.kind === 'network') return 'Cannot reach the Parley server. Check the connection; this page keeps trying.';
  if (e.kind === 'timeout') return 'The server did not answer in time (' + e.problem.detail + '). Try again.';
  const p = e.problem;
  const detail = sentence(p.detail);
  switch (e.status) {
    case 401: return 'Your API key was not accepted.' + detail;
    case 403: return 'This API key is not allowed to do that.' + detail;
    case 404: return 'Not found.' + detail;
    case 413: return 'That is more than the server accepts.' + detail;
    case 429:
      return (e.slug === 'budget-exhausted' ? 'The token budget is used up.' : 'Too many requests.') + ' '
        + retryWhen(e.retryAfter) + detail;
    case 503:
      return (e.slug === 'shutting-down' ? 'Parley is shutting down or restarting.' : 'Parley is overloaded.') + ' '
        + retryWhen(e.retryAfter);
    default:
  }
  if (e.status === 400 && Array.isArray(p.errors) && p.errors.length) {
    return 'The request was not accepted: ' + p.errors.map(f => `${f.field} ${f.message}`).join('; ') + '.';
  }
  if (e.status >= 500) return `The server failed (${p.title || 'HTTP ' + e.status}).` + detail;
  return (p.title || 'HTTP ' + e.status) + '.' + detail;
}

/** Shows a failure where it happened; a rejected key ends the session. */
function report(e, where) {
  if (e instanceof ApiError && e.status === 401) {
    signOut('Your API key was not accepted any more (revoked or expired?). Sign in again.');
    return;
  }
  where.textContent = describe(e);
}

// --- health banner: a dead server or a stalled database shows, the page never freezes -------------------------

const health = {
  timer: 0,
  running: false,
  async check() {
    if (this.running) return;
    this.running = true;
    clearTimeout(this.timer);
    let problem = null;
    try {
      const r = await fetch('/q/health/ready', { cache: 'no-store', signal: AbortSignal.timeout(5000) });
      if (!r.ok) {
        let cause = '';
        try {
          const body = await r.json();
          cause = (body.checks || []).filter(c => c.status !== 'UP')
            .map(c => (c.data && (c.data.error || c.data.reason)) || c.name).filter(Boolean).join('; ');
        } catch { /* no details */ }
        problem = 'Parley is not ready' + (cause ? ': ' + cause : '') + '. What you send now may wait or fail; '
          + 'this page checks again every few seconds.';
      }
    } catch {
      problem = 'Cannot reach the Parley server. This page keeps trying.';
    }
    ui.banner.textContent = problem || '';
    ui.banner.hidden = !problem;
    this.running = false;
    this.timer = setTimeout(() => this.check(), problem ? HEALTH_RETRY_MS : HEALTH_EVERY_MS);
  },
};

// --- signing in and out ---------------------------------------------------------------------------------------

async function signIn(key) {
  ui.signinError.textContent = '';
  state.key = key;
  try {
    await loadConversations(true);
  } catch (e) {
    state.key = null;
    ui.signinError.textContent = e instanceof ApiError && e.status === 401
      ? 'That API key was not accepted. Check it and try again.' : describe(e);
    ui.apiKey.focus();
    return;
  }
  sessionStorage.setItem(KEY_ITEM, key);
  ui.apiKey.value = '';
  enterApp();
}

function enterApp() {
  ui.signin.hidden = true;
  ui.app.hidden = false;
  loadModels();
  probeSearch();
  loadUsage();
  route();
}

function signOut(message) {
  if (state.streaming) state.streaming.controller.abort();
  sessionStorage.removeItem(KEY_ITEM);
  state.key = null;
  state.usageAvailable = null;
  ui.usage.hidden = true;
  state.conversations.clear();
  state.current = null;
  state.history = [];
  state.loadToken++;
  ui.list.replaceChildren();
  ui.messages.replaceChildren();
  ui.searchList.replaceChildren();
  ui.searchInput.value = '';
  showSearchResults(false);
  ui.app.hidden = true;
  ui.signin.hidden = false;
  ui.signinError.textContent = message || '';
  history.replaceState(null, '', location.pathname);
  ui.apiKey.focus();
}

// --- conversation list ------------------------------------------------------------------------------------------

async function loadConversations(fresh) {
  const cursor = fresh ? null : state.listCursor;
  const page = await json('GET', `/api/conversations?limit=${LIST_PAGE}&archived=${state.archived}`
    + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
  if (fresh) {
    state.conversations.clear();
    ui.list.replaceChildren();
  }
  for (const c of page.items) {
    state.conversations.set(c.id, c);
    ui.list.append(listItem(c));
  }
  state.listCursor = page.nextCursor;
  ui.listMore.hidden = !page.nextCursor;
  ui.listStatus.textContent = state.conversations.size ? ''
    : state.archived ? 'No archived conversations.' : 'No conversations yet.';
  if (!performance.getEntriesByName('parley:conversations').length) performance.mark('parley:conversations');
}

function titleOf(c) {
  return c && c.title ? c.title : 'Untitled';
}

function listItem(c) {
  const li = document.createElement('li');
  li.dataset.id = c.id;
  const a = document.createElement('a');
  a.href = '#/c/' + c.id;
  a.append(titleOf(c));
  const when = document.createElement('small');
  when.textContent = timeLabel(c.updatedAt || c.createdAt) + (c.archived ? ' · archived' : '');
  a.append(when);
  if (state.current && state.current.id === c.id) a.setAttribute('aria-current', 'page');
  li.append(a);
  return li;
}

function refreshListItem(c, moveToTop) {
  const old = ui.list.querySelector(`li[data-id="${c.id}"]`);
  const belongs = c.archived === state.archived;
  if (!belongs) {
    if (old) old.remove();
    state.conversations.delete(c.id);
  } else if (old) {
    const item = listItem(c);
    if (moveToTop) { old.remove(); ui.list.prepend(item); } else old.replaceWith(item);
    state.conversations.set(c.id, c);
  } else if (moveToTop) {
    state.conversations.set(c.id, c);
    ui.list.prepend(listItem(c));
  }
  ui.listStatus.textContent = state.conversations.size ? '' : ui.listStatus.textContent;
}

function markCurrentInList() {
  for (const a of ui.list.querySelectorAll('a')) {
    if (state.current && a.parentElement.dataset.id === state.current.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function timeLabel(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const today = new Date();
  return d.toDateString() === today.toDateString()
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' });
}

// --- models -----------------------------------------------------------------------------------------------------

async function loadModels() {
  let models = [];
  try {
    const body = await json('GET', '/v1/models');
    models = (body.data || []).map(m => m.id);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { report(e, ui.chatStatus); return; }
    // without the list the server's default model is used
  }
  const chosen = ui.model.value;
  const options = [new Option('Default', '')].concat(models.map(m => new Option(m, m)));
  ui.model.replaceChildren(...options);
  if (models.includes(chosen)) ui.model.value = chosen;
}

// --- routing: #/c/<id> opens a conversation, anything else is a new chat ------------------------------------------

function route() {
  const m = /^#\/c\/([0-9a-f-]{36})(?:\/m\/([0-9a-f-]{36}))?$/i.exec(location.hash);
  if (m) openConversation(m[1], m[2]);
  else showNewChat();
}

function showNewChat() {
  stopStreamingElsewhere(null);
  state.loadToken++;
  state.current = null;
  state.history = [];
  state.renderedFrom = 0;
  ui.messages.replaceChildren();
  ui.title.textContent = 'New chat';
  ui.modelPicker.hidden = false;
  ui.actions.hidden = true;
  closeHeaderForms();
  ui.chatStatus.textContent = '';
  markCurrentInList();
  ui.app.dataset.view = 'chat';
  ui.input.focus();
}

async function openConversation(id, messageId) {
  stopStreamingElsewhere(id);
  if (state.current && state.current.id === id && state.history.length) {
    if (messageId) revealMessage(messageId);
    ui.app.dataset.view = 'chat';
    return;
  }
  const token = ++state.loadToken;
  state.current = state.conversations.get(id) || { id, title: null };
  state.history = [];
  state.renderedFrom = 0;
  ui.messages.replaceChildren();
  ui.chatStatus.textContent = '';
  showHeader();
  markCurrentInList();
  ui.app.dataset.view = 'chat';
  ui.messages.setAttribute('aria-busy', 'true');
  try {
    const [conversation, messages] = await Promise.all([json('GET', '/api/conversations/' + id), loadHistory(id, token)]);
    if (token !== state.loadToken) return;
    state.current = conversation;
    state.history = messages;
    showHeader();
    renderHistory();
    if (messageId) revealMessage(messageId);
    ui.input.focus();
  } catch (e) {
    if (token !== state.loadToken) return;
    report(e, ui.chatStatus);
  } finally {
    if (token === state.loadToken) ui.messages.removeAttribute('aria-busy');
  }
}

// The API lists a conversation's messages oldest first, so the whole history is fetched (pages of 100); the DOM gets
// only the newest RENDER_CHUNK and grows upwards as the reader scrolls (see renderOlder).
async function loadHistory(id, token) {
  const all = [];
  let cursor = null;
  do {
    const page = await json('GET', `/api/conversations/${id}/messages?limit=${HISTORY_PAGE}`
      + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    if (token !== state.loadToken) return all;
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

function showHeader() {
  const c = state.current;
  ui.title.textContent = titleOf(c);
  ui.modelPicker.hidden = true;
  ui.actions.hidden = false;
  ui.archive.textContent = c.archived ? 'Restore' : 'Archive';
  closeHeaderForms();
}

function closeHeaderForms() {
  ui.renameForm.hidden = true;
  ui.deleteConfirm.hidden = true;
  if (state.current) ui.actions.hidden = false;
}

// --- messages ---------------------------------------------------------------------------------------------------

const FINISH_NOTES = {
  client_disconnected: 'Stopped before the end.',
  provider_error: 'The model failed before the end of this reply.',
  shutdown: 'Cut off: the server was shutting down.',
  length: 'Cut off at the length limit.',
};

function messageElement(m) {
  const li = document.createElement('li');
  li.className = 'msg msg-' + (m.role === 'user' ? 'user' : 'assistant');
  if (m.id) li.dataset.id = m.id;
  const role = document.createElement('div');
  role.className = 'msg-role';
  role.textContent = m.role === 'user' ? 'You' : 'Model';
  const body = document.createElement('div');
  body.className = 'msg-body';
  const meta = document.createElement('div');
  meta.className = 'msg-meta';
  li.append(role, body, meta);
  fillMessage(li, m);
  return li;
}

function fillMessage(li, m) {
  const body = li.querySelector('.msg-body');
  if (m.role === 'user') body.textContent = m.content;
  else body.replaceChildren(renderMarkdown(m.content || ''));
  const meta = li.querySelector('.msg-meta');
  const note = FINISH_NOTES[m.finishReason] || '';
  meta.textContent = m.error || note;
  meta.classList.toggle('error', Boolean(m.error));
  if (m.finishReason) li.dataset.finish = m.finishReason;
}

function renderHistory() {
  state.renderedFrom = Math.max(0, state.history.length - RENDER_CHUNK);
  const nodes = state.history.slice(state.renderedFrom).map(messageElement);
  ui.messages.replaceChildren(...nodes);
  updateOlderButton();
  ui.messages.scrollTop = ui.messages.scrollHeight;
  fillUpwards();
}

// Prepends the next older chunk and keeps what the reader sees in place.
function renderOlder() {
  if (state.renderedFrom === 0) return;
  const from = Math.max(0, state.renderedFrom - RENDER_CHUNK);
  const nodes = state.history.slice(from, state.renderedFrom).map(messageElement);
  const before = ui.messages.scrollHeight;
  const anchor = ui.messages.querySelector('.msg');
  if (anchor) anchor.before(...nodes); else ui.messages.append(...nodes);
  state.renderedFrom = from;
  updateOlderButton();
  ui.messages.scrollTop += ui.messages.scrollHeight - before;
}

// A short chunk that does not fill the view would leave nothing to scroll: add more until it scrolls.
function fillUpwards() {
  while (state.renderedFrom > 0 && ui.messages.scrollHeight <= ui.messages.clientHeight) renderOlder();
}

function updateOlderButton() {
  let older = ui.messages.querySelector('.older');
  if (state.renderedFrom > 0) {
    if (!older) {
      older = document.createElement('li');
      older.className = 'older';
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Show older messages';
      button.addEventListener('click', renderOlder);
      older.append(button);
      ui.messages.prepend(older);
    }
  } else if (older) {
    older.remove();
  }
}

function revealMessage(messageId) {
  const index = state.history.findIndex(m => m.id === messageId);
  if (index < 0) return;
  while (state.renderedFrom > index) renderOlder();
  const el = ui.messages.querySelector(`li[data-id="${messageId}"]`);
  if (el) {
    el.scrollIntoView({ block: 'center' });
    el.classList.add('found');
  }
}

function appendMessage(m) {
  const li = messageElement(m);
  ui.messages.append(li);
  state.history.push(m);
  ui.messages.scrollTop = ui.messages.scrollHeight;
  return li;
}

// --- sending and streaming --------------------------------------------------------------------------------------

function titleFrom(text) {
  const line = text.trim().split('\n')[0].trim();
  return line.length > 80 ? line.slice(0, 79) + '…' : line;
}

async function send() {
  const text = ui.input.value;
  // while the history is loading, a reply appended now would be wiped by its arrival
  if (!text.trim() || state.streaming || ui.messages.getAttribute('aria-busy') === 'true') return;
  ui.chatStatus.textContent = '';
  const controller = new AbortController();
  state.streaming = { controller, conversationId: state.current ? state.current.id : null };
  setStreaming(true);
  let conversation = state.current;
  if (!conversation) {
    try {
      const body = { title: titleFrom(text) };
      if (ui.model.value) body.model = ui.model.value;
      conversation = await json('POST', '/api/conversations', { body, signal: controller.signal });
    } catch (e) {
      state.streaming = null;
      setStreaming(false);
      if (!controller.signal.aborted) report(e, ui.chatStatus);
      return;
    }
    state.current = conversation;
    state.streaming.conversationId = conversation.id;
    state.loadToken++;
    history.replaceState(null, '', '#/c/' + conversation.id);
    showHeader();
    if (!state.archived) refreshListItem(conversation, true);
    markCurrentInList();
  }
  ui.input.value = '';
  const question = { role: 'user', content: text };
  const questionEl = appendMessage(question);
  const reply = { role: 'assistant', content: '' };
  const replyEl = appendMessage(reply);
  replyEl.dataset.state = 'streaming';
  ui.messages.setAttribute('aria-busy', 'true');
  let started = false;
  const paint = paintLater(replyEl, reply);
  try {
    const response = await request('POST', `/api/conversations/${conversation.id}/messages`, {
      body: { content: text }, signal: controller.signal, accept: 'text/event-stream', timeout: 0,
    });
    await readEvents(response, (name, data) => {
      if (name === 'message.start') {
        started = true;
        question.id = data.userMessageId;
        questionEl.dataset.id = data.userMessageId;
        reply.id = data.messageId;
        replyEl.dataset.id = data.messageId;
      } else if (name === 'delta') {
        reply.content += data.text;
        paint();
      } else if (name === 'message.end') {
        Object.assign(reply, { finishReason: data.finishReason, tokensIn: data.tokensIn, tokensOut: data.tokensOut });
      } else if (name === 'error') {
        reply.finishReason = data.finishReason;
        reply.error = describe(new ApiError('http', data.status, data, null))
          + (data.messageId ? ' What arrived is stored.' : '');
      }
    });
    if (!reply.finishReason && !reply.error) {
      reply.error = 'The reply ended early (connection closed). What arrived is stored by the server.';
    }
  } catch (e) {
    if (controller.signal.aborted) {
      reply.finishReason = 'client_disconnected';
    } else if (!started && e instanceof ApiError && e.kind === 'http') {
      // refused before anything was stored: take the message back into the composer
      questionEl.remove();
      replyEl.remove();
      state.history.splice(-2, 2);
      if (!ui.input.value) ui.input.value = text;
      report(e, ui.chatStatus);
    } else {
      reply.error = describe(e) + (started ? ' What arrived before is stored by the server.' : '');
    }
  } finally {
    state.streaming = null;
    setStreaming(false);
    delete replyEl.dataset.state;
    ui.messages.removeAttribute('aria-busy');
    if (replyEl.isConnected) {
      fillMessage(replyEl, reply);
      conversation.updatedAt = new Date().toISOString();
      if (conversation.archived === state.archived) refreshListItem(conversation, true);
      markCurrentInList();
      loadUsage();
    }
  }
}

// Repaints the streaming reply at most once per frame, however fast the deltas come.
function paintLater(el, m) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      const pinned = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 40;
      fillMessage(el, m);
      if (pinned) ui.messages.scrollTop = ui.messages.scrollHeight;
    });
  };
}

/** Reads a text/event-stream body, calling onEvent(name, data) for each event as it arrives. */
async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const boundary = /\r\n\r\n|\n\n|\r\r/;
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let m;
    while ((m = boundary.exec(buffer))) {
      const block = buffer.slice(0, m.index);
      buffer = buffer.slice(m.index + m[0].length);
      let name = 'message';
      const data = [];
      for (const line of block.split(/\r\n|\r|\n/)) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') name = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}

// While a reply streams, Stop takes Send's place; focus stays where it was (typing the next message goes on) unless it
// was on the button that is being hidden.
function setStreaming(on) {
  const focusWasOn = document.activeElement;
  ui.send.hidden = on;
  ui.stop.hidden = !on;
  if (on && focusWasOn === ui.send) ui.stop.focus();
  if (!on && (focusWasOn === ui.stop || focusWasOn === document.body)) ui.input.focus();
}

function stopStreamingElsewhere(id) {
  if (state.streaming && state.streaming.conversationId !== id) state.streaming.controller.abort();
}

// --- rename, archive, delete ------------------------------------------------------------------------------------

async function change(patch) {
  const c = state.current;
  ui.chatStatus.textContent = '';
  try {
    const updated = await json('PATCH', '/api/conversations/' + c.id, { body: patch });
    if (!state.current || state.current.id !== updated.id) return;
    state.current = updated;
    showHeader();
    refreshListItem(updated, false);
    markCurrentInList();
  } catch (e) {
    report(e, ui.chatStatus);
  }
}

async function deleteCurrent() {
  const c = state.current;
  try {
    await json('DELETE', '/api/conversations/' + c.id);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) { report(e, ui.chatStatus); return; }
  }
  ui.list.querySelector(`li[data-id="${c.id}"]`)?.remove();
  state.conversations.delete(c.id);
  if (!state.conversations.size) ui.listStatus.textContent = 'No conversations yet.';
  location.hash = '';
  showNewChat();
  ui.listStatus.textContent = `Deleted “${titleOf(c)}”.`;
}

// --- search (GET /api/search) and usage (GET /api/usage): shown only where the server has them -------------------

async function probeSearch() {
  try {
    await json('GET', '/api/search?q=parley&limit=1');
    state.search.available = true;
  } catch (e) {
    // 404: this server has no search yet; 400 means it exists but wants another query
    state.search.available = e instanceof ApiError && e.status === 400;
    if (e instanceof ApiError && e.status === 401) { report(e, ui.chatStatus); return; }
  }
  ui.searchForm.hidden = !state.search.available;
}

async function search(more) {
  const s = state.search;
  const q = ui.searchInput.value.trim();
  if (!q) { showSearchResults(false); return; }
  const token = ++s.token;
  if (!more) { s.query = q; s.cursor = null; }
  ui.searchStatus.textContent = 'Searching…';
  showSearchResults(true);
  try {
    const page = await json('GET', `/api/search?q=${encodeURIComponent(s.query)}&limit=20`
      + (more && s.cursor ? '&cursor=' + encodeURIComponent(s.cursor) : ''));
    if (token !== s.token) return;
    if (!more) ui.searchList.replaceChildren();
    for (const item of page.items) ui.searchList.append(searchItem(item));
    s.cursor = page.nextCursor;
    ui.searchMore.hidden = !page.nextCursor;
    const count = ui.searchList.children.length;
    ui.searchStatus.textContent = count ? `${count}${page.nextCursor ? '+' : ''} found` : 'Nothing found.';
  } catch (e) {
    if (token !== s.token) return;
    if (e instanceof ApiError && e.status === 404) {
      s.available = false;
      ui.searchForm.hidden = true;
      showSearchResults(false);
      return;
    }
    report(e, ui.searchStatus);
  }
}

function searchItem(item) {
  const li = document.createElement('li');
  li.dataset.messageId = item.messageId;
  const a = document.createElement('a');
  a.href = `#/c/${item.conversationId}/m/${item.messageId}`;
  const title = document.createElement('strong');
  title.textContent = item.conversationTitle || 'Untitled';
  const snippet = document.createElement('span');
  snippet.className = 'snippet';
  snippet.append(renderSnippet(item.snippet || ''));
  const when = document.createElement('small');
  when.textContent = (item.role === 'user' ? 'You' : 'Model') + ' · ' + timeLabel(item.createdAt);
  a.append(title, document.createElement('br'), snippet, when);
  li.append(a);
  return li;
}

function showSearchResults(on) {
  ui.searchResults.hidden = !on;
  ui.conversations.hidden = on;
  if (!on) state.search.token++;
}

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

async function loadUsage() {
  if (!state.key || state.usageAvailable === false) return;
  const today = new Date();
  const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
  try {
    const body = await json('GET', `/api/usage?from=${isoDay(first)}&to=${isoDay(today)}`);
    const totals = body.totals || (body.items || []).reduce((sum, row) => ({
      turns: sum.turns + (row.turns || 0), tokensIn: sum.tokensIn + (row.tokensIn || 0),
      tokensOut: sum.tokensOut + (row.tokensOut || 0),
    }), { turns: 0, tokensIn: 0, tokensOut: 0 });
    const tokens = (totals.tokensIn || 0) + (totals.tokensOut || 0);
    const turns = totals.turns || 0;
    ui.usageText.textContent = `${tokens.toLocaleString()} tokens in ${turns.toLocaleString()} `
      + (turns === 1 ? 'turn' : 'turns');
    ui.usage.hidden = false;
    state.usageAvailable = true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { report(e, ui.chatStatus); return; }
    ui.usage.hidden = true; // no usage API here (404), or this key may not read it (403)
    if (e instanceof ApiError && (e.status === 404 || e.status === 403)) state.usageAvailable = false;
  }
}

// --- wiring -----------------------------------------------------------------------------------------------------

ui.signinForm.addEventListener('submit', e => {
  e.preventDefault();
  const key = ui.apiKey.value.trim();
  if (key) signIn(key);
});
ui.signOut.addEventListener('click', () => signOut(''));
ui.newChat.addEventListener('click', () => {
  if (location.hash) location.hash = ''; else showNewChat();
});
ui.back.addEventListener('click', () => {
  ui.app.dataset.view = 'list';
  ui.newChat.focus();
});
ui.showArchived.addEventListener('change', async () => {
  state.archived = ui.showArchived.checked;
  try { await loadConversations(true); markCurrentInList(); } catch (e) { report(e, ui.listStatus); }
});
ui.listMore.addEventListener('click', async () => {
  try { await loadConversations(false); markCurrentInList(); } catch (e) { report(e, ui.listStatus); }
});
window.addEventListener('hashchange', route);
// a link to the conversation already in the address (e.g. on a phone, back in the list) changes no hash: open it
for (const list of [ui.list, ui.searchList]) {
  list.addEventListener('click', e => {
    const a = e.target.closest('a');
    if (a && a.getAttribute('href') === location.hash) { e.preventDefault(); route(); }
  });
}

ui.composer.addEventListener('submit', e => {
  e.preventDefault();
  send();
});
ui.input.addEventListener('keydown', e => {
  // Enter sends, Shift+Enter is a new line; never while an input method is composing text
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
    e.preventDefault();
    send();
  } else if (e.key === 'Escape' && state.streaming) {
    state.streaming.controller.abort();
  }
});
ui.stop.addEventListener('click', () => state.streaming && state.streaming.controller.abort());
ui.messages.addEventListener('scroll', () => {
  if (ui.messages.scrollTop < 80 && state.renderedFrom > 0) renderOlder();
});

ui.rename.addEventListener('click', () => {
  ui.actions.hidden = true;
  ui.renameForm.hidden = false;
  ui.renameInput.value = state.current.title || '';
  ui.renameInput.focus();
  ui.renameInput.select();
});
ui.renameForm.addEventListener('submit', e => {
  e.preventDefault();
  const title = ui.renameInput.value.trim();
  if (title) change({ title }).then(() => ui.rename.focus());
});
ui.renameCancel.addEventListener('click', () => { closeHeaderForms(); ui.rename.focus(); });
ui.renameInput.addEventListener('keydown', e => {
  if (e.key === 'Escape') { closeHeaderForms(); ui.rename.focus(); }
});
ui.archive.addEventListener('click', () => change({ archived: !state.current.archived }));
ui.del.addEventListener('click', () => {
  ui.actions.hidden = true;
  ui.deleteConfirm.hidden = false;
  ui.deleteNo.focus();
});
ui.deleteNo.addEventListener('click', () => { closeHeaderForms(); ui.del.focus(); });
ui.deleteYes.addEventListener('click', deleteCurrent);

ui.searchForm.addEventListener('submit', e => {
  e.preventDefault();
  clearTimeout(state.search.timer);
  search(false);
});
ui.searchInput.addEventListener('input', () => {
  clearTimeout(state.search.timer);
  state.search.timer = setTimeout(() => search(false), SEARCH_DELAY_MS);
});
ui.searchMore.addEventListener('click', () => search(true));

// --- start ------------------------------------------------------------------------------------------------------

health.check();
document.addEventListener('visibilitychange', () => { if (!document.hidden) health.check(); });
state.key = sessionStorage.getItem(KEY_ITEM);
if (state.key) {
  ui.app.hidden = false;
  loadConversations(true).then(enterApp, e => {
    if (e instanceof ApiError && e.status === 401) report(e, ui.chatStatus);
    else { enterApp(); report(e, ui.listStatus); }
  });
} else {
  ui.signin.hidden = false;
  ui.apiKey.focus();
}
performance.mark('parley:interactive');
