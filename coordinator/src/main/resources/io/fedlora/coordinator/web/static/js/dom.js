// Small DOM helpers. Text from the server always goes in as text, never as markup.

/** Makes an element: el('td', {class: 'num'}, 'text', child, ...). */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.substring(2), value);
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) {
      continue;
    }
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function replaceChildren(parent, ...children) {
  parent.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
}

/** Shows a message in the page's status region (announced by screen readers). */
export function announce(message, kind) {
  const region = document.getElementById('status');
  if (!region) {
    return;
  }
  region.textContent = message;
  region.className = 'status ' + (kind || 'info');
}

/** The query parameter of this page's URL, or throws with what is missing. */
export function requiredParam(name) {
  const value = new URLSearchParams(location.search).get(name);
  if (!value) {
    throw new Error('this page needs ?' + name + '= in its address');
  }
  return value;
}
