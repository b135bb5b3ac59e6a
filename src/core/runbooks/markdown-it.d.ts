// The few parts of markdown-it 14 the runbook renderer uses (the package ships no types and
// @types/markdown-it is not a dependency).
declare module 'markdown-it' {
  interface Token {
    type: string;
    tag: string;
    content: string;
    info: string;
    attrs: [string, string][] | null;
    children: Token[] | null;
    attrGet(name: string): string | null;
    attrSet(name: string, value: string): void;
  }
  interface TokenConstructor {
    new (type: string, tag: string, nesting: number): Token;
  }
  interface StateCore {
    tokens: Token[];
    Token: TokenConstructor;
  }
  interface Options {
    html?: boolean;
    linkify?: boolean;
    typographer?: boolean;
  }
  interface MarkdownIt {
    render(src: string, env?: object): string;
    validateLink: (url: string) => boolean;
    core: { ruler: { push(name: string, fn: (state: StateCore) => void): void } };
    utils: { escapeHtml(s: string): string };
  }
  interface MarkdownItConstructor {
    (options?: Options): MarkdownIt;
    new (options?: Options): MarkdownIt;
  }
  const MarkdownIt: MarkdownItConstructor;
  export default MarkdownIt;
  export type { Token, StateCore };
}
