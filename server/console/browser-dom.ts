/**
 * The few DOM shapes the dashboard script uses. The project compiles against Node's types only
 * (no DOM lib, which would put browser globals into server code), so the page declares its own.
 */
export interface DomNode {
  textContent: string | null;
  className: string;
  setAttribute(name: string, value: string): void;
  replaceChildren(...nodes: (DomNode | string)[]): void;
  append(...nodes: (DomNode | string)[]): void;
}

export interface DomDocument {
  getElementById(id: string): DomNode | null;
  createElement(tag: string): DomNode;
  createElementNS(namespace: string, tag: string): DomNode;
}

export interface BrowserGlobals {
  document: DomDocument;
  setInterval(fn: () => void, ms: number): number;
}
