import { STATUS_CODES } from 'node:http';

/**
 * Error bodies exactly as Glance's WebOb exceptions render them. Which of the three forms a
 * client gets depends on its Accept header: JSON for `application/json`, HTML for browsers and
 * `*\/*`, plain text otherwise.
 */

/** WebOb's generic explanation of each status, shown when Glance supplies only a detail. */
const EXPLANATIONS: Record<number, string> = {
  400: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  401:
    'This server could not verify that you are authorized to access the document you requested. Either you ' +
    'supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply ' +
    'the credentials required.',
  403: 'Access was denied to this resource.',
  404: 'The resource could not be found.',
  409: 'There was a conflict when trying to complete your request.',
  410: 'This resource is no longer available.  No forwarding address is given.',
  413: 'The request is larger than the server is willing or able to process.',
  415: 'The request media type is not supported by this server.',
  416: 'The Range requested is not available.',
  431: 'The request header fields were too large.',
  500: 'The server has either erred or is incapable of performing the requested operation.',
  501: 'The request method is not implemented by this server.',
  503: 'The server is currently unavailable. Please try again at a later time.',
};

/** WebOb titles differ from Node's reason phrases for a few codes. */
const TITLES: Record<number, string> = {
  413: 'Request Entity Too Large',
  416: 'Request Range Not Satisfiable',
};

export function statusTitle(status: number): string {
  return TITLES[status] ?? STATUS_CODES[status] ?? 'Error';
}

export type ErrorMediaType = 'application/json' | 'text/html' | 'text/plain';

interface AcceptEntry {
  type: string;
  q: number;
}

function parseAccept(header: string): AcceptEntry[] {
  return header
    .split(',')
    .map((part) => {
      const [type, ...params] = part.trim().split(';');
      const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const q = qParam ? Number(qParam.slice(2)) : 1;
      return { type: type.trim().toLowerCase(), q: Number.isFinite(q) ? q : 0 };
    })
    .filter((e) => e.type);
}

/** How well `offer` is accepted: its q value and how specific the matching range was. */
function acceptance(entries: AcceptEntry[], offer: string): { q: number; specificity: number } {
  const [major] = offer.split('/');
  let best = { q: 0, specificity: -1 };
  for (const e of entries) {
    const specificity = e.type === offer ? 2 : e.type === `${major}/*` ? 1 : e.type === '*/*' ? 0 : -1;
    if (specificity > best.specificity) best = { q: e.q, specificity };
  }
  return best;
}

export function negotiateErrorType(accept: string | undefined): ErrorMediaType {
  if (!accept) return 'text/plain';
  const entries = parseAccept(accept);
  const html = acceptance(entries, 'text/html');
  const json = acceptance(entries, 'application/json');
  if (html.q <= 0 && json.q <= 0) return 'text/plain';
  if (json.q > html.q) return 'application/json';
  if (html.q > json.q) return 'text/html';
  return json.specificity > html.specificity ? 'application/json' : 'text/html';
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#x27;');
}

/** A JSON string as Python's json.dumps writes it: every character outside printable ASCII escaped. */
function pyJsonString(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** WebOb's JSON error body, byte for byte: json.dumps of message, code and title. */
function webobJson(message: string, code: string, title: string): string {
  return `{"message": ${pyJsonString(message)}, "code": ${pyJsonString(code)}, "title": ${pyJsonString(title)}}`;
}

/**
 * WebOb's plain-text form of an error body: the message's own newlines folded to spaces, each
 * <br> turned into a newline, and any other tag dropped.
 */
function stripTags(body: string): string {
  return body
    .replace(/\n/g, ' ')
    .replace(/\r/g, '')
    .replace(/<br[\s\S]*?>/gi, '\n')
    .replace(/<!--|-->/g, '')
    .replace(/<[\s\S]*?>/g, '');
}

export interface ErrorBodyInput {
  status: number;
  message?: string;
  /** true: `message` follows the status's generic explanation instead of replacing it. */
  detail?: boolean;
  /** For 405: the request's method, which WebOb names in its own sentence. */
  method?: string;
  /** The body is `message` alone, as when Glance passes WebOb a body_template of '${explanation}'. */
  bare?: boolean;
  /** For 415 about the request's Content-Type: WebOb's own template names it, whatever the message. */
  mediaType?: string;
}

export interface RenderedError {
  contentType: string;
  body: string;
}

export function renderError(input: ErrorBodyInput, type: ErrorMediaType): RenderedError {
  const { status } = input;
  const title = statusTitle(status);
  const code = `${status} ${title}`;
  if (input.bare) {
    const text = input.message ?? '';
    if (type === 'application/json') {
      return { contentType: 'application/json', body: webobJson(text, code, title) };
    }
    if (type === 'text/html') {
      return {
        contentType: 'text/html; charset=UTF-8',
        body: `<html>\n <head>\n  <title>${code}</title>\n </head>\n <body>\n  <h1>${code}</h1>\n  ${escapeHtml(text)}\n </body>\n</html>`,
      };
    }
    return { contentType: 'text/plain; charset=UTF-8', body: `${code}\n\n${stripTags(text)}` };
  }
  if (input.mediaType !== undefined) {
    const sentence = (escape: (t: string) => string) =>
      `The request media type ${escape(input.mediaType!)} is not supported by this server.\n<br /><br />\n`;
    if (type === 'application/json') {
      return {
        contentType: 'application/json',
        body: webobJson(
          sentence((t) => t),
          code,
          title,
        ),
      };
    }
    if (type === 'text/html') {
      return {
        contentType: 'text/html; charset=UTF-8',
        body: `<html>\n <head>\n  <title>${code}</title>\n </head>\n <body>\n  <h1>${code}</h1>\n  ${sentence(escapeHtml)}\n </body>\n</html>`,
      };
    }
    return { contentType: 'text/plain; charset=UTF-8', body: `${code}\n\n${stripTags(sentence((t) => t))}` };
  }
  let explanation: string;
  let detail: string;
  let tail: string;
  if (status === 405) {
    explanation = `The method ${input.method ?? 'GET'} is not allowed for this resource. `;
    detail = input.message ?? '';
    tail = '';
  } else if (input.detail || !input.message) {
    explanation = EXPLANATIONS[status] ?? '';
    detail = input.message ?? '';
    tail = '\n';
  } else {
    explanation = input.message;
    detail = '';
    tail = '\n';
  }
  if (type === 'application/json') {
    const message = `${explanation}<br /><br />\n${detail}${tail ? '\n' + tail : ''}`;
    return { contentType: 'application/json', body: webobJson(message, code, title) };
  }
  if (type === 'text/html') {
    const inner = `${escapeHtml(explanation)}<br /><br />\n${escapeHtml(detail)}${tail ? '\n' + tail : ''}`;
    return {
      contentType: 'text/html; charset=UTF-8',
      body: `<html>\n <head>\n  <title>${code}</title>\n </head>\n <body>\n  <h1>${code}</h1>\n  ${inner}\n </body>\n</html>`,
    };
  }
  const body = `${explanation}<br /><br />\n${detail}${tail ? '\n' + tail : ''}`;
  return { contentType: 'text/plain; charset=UTF-8', body: `${code}\n\n${stripTags(body)}` };
}
