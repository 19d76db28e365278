// The only way the dashboard builds DOM: elements, attributes and text nodes. Data never goes
// through innerHTML, so a metric named `<img onerror=…>` renders as those characters.

const BOOLEAN_PROPS = new Set(['checked', 'disabled', 'hidden', 'selected', 'open']);

/**
 * h('td', { className: 'num', dataset: { label: 'Value' }, on: { click } }, 'text', childNode)
 * Strings and numbers become text nodes; null/false children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'className') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'on') for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    else if (key === 'style') Object.assign(el.style, value);
    else if (key === 'value') el.value = value;
    else if (BOOLEAN_PROPS.has(key)) el[key] = Boolean(value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function $(selector, root = document) {
  const el = root.querySelector(selector);
  if (!el) throw new Error(`dashboard markup is missing ${selector}`);
  return el;
}

/** Every container renderKeyed has filled, so a page-wide change (the time zone) can rebuild them. */
const keyedContainers = new Set();

/** Forget every cached row: the next render of each keyed container rebuilds all its children. */
export function invalidateKeyed() {
  for (const container of keyedContainers) {
    if (container.isConnected) container.__keyed = new Map();
    else keyedContainers.delete(container);
  }
}

/**
 * Reconcile `container`'s children with `items` by key, rebuilding a child only when its
 * `signature` changed. Keeps focus and hover on unchanged rows while events stream in.
 */
export function renderKeyed(container, items, keyOf, signatureOf, build) {
  const previous = container.__keyed ?? new Map();
  const next = new Map();
  const nodes = [];
  for (const item of items) {
    const key = keyOf(item);
    const signature = signatureOf(item);
    const held = previous.get(key);
    const node = held && held.signature === signature ? held.node : build(item);
    next.set(key, { signature, node });
    nodes.push(node);
  }
  // Only touch the DOM when order or membership changed.
  const current = [...container.children];
  const same = current.length === nodes.length && current.every((n, i) => n === nodes[i]);
  if (!same) container.replaceChildren(...nodes);
  container.__keyed = next;
  keyedContainers.add(container);
}

/** Run `fn` at most once per animation frame however often it is requested. */
export function frameScheduler(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    const run = () => {
      queued = false;
      fn();
    };
    // Hidden tabs get no frames; a timeout keeps state current for when the tab returns.
    if (typeof document !== 'undefined' && document.hidden) setTimeout(run, 250);
    else requestAnimationFrame(run);
  };
}
