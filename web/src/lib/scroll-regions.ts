/**
 * Code blocks (<pre>) scroll when their content is taller than their box;
 * keyboard users can only scroll what they can focus. Every <pre> under root
 * that scrolls gets tabindex=0 (and loses it again when it no longer scrolls),
 * so pages need not remember to mark each one.
 */
const MARK = 'scrollRegion';

function update(element: HTMLElement): void {
  const scrolls = element.scrollHeight > element.clientHeight + 1 || element.scrollWidth > element.clientWidth + 1;
  if (scrolls && !element.hasAttribute('tabindex')) {
    element.tabIndex = 0;
    element.dataset[MARK] = '';
  } else if (!scrolls && MARK in element.dataset) {
    element.removeAttribute('tabindex');
    delete element.dataset[MARK];
  }
}

/** Starts watching root; returns the function that stops. */
export function focusableScrollRegions(root: HTMLElement): () => void {
  const watched = new WeakSet<Element>();
  const resize = new ResizeObserver((entries) => {
    for (const entry of entries) update(entry.target as HTMLElement);
  });
  function watch(element: HTMLElement): void {
    if (!watched.has(element)) {
      watched.add(element);
      resize.observe(element);
    }
    update(element);
  }
  // Only what a mutation touched is re-measured: live pages change often, and measuring forces layout.
  const mutations = new MutationObserver((records) => {
    for (const record of records) {
      const target = record.target instanceof Element ? record.target : record.target.parentElement;
      const pre = target?.closest<HTMLElement>('pre');
      if (pre) watch(pre);
      for (const node of record.addedNodes) {
        if (!(node instanceof HTMLElement)) continue;
        if (node.matches('pre')) watch(node);
        for (const element of node.querySelectorAll<HTMLElement>('pre')) watch(element);
      }
    }
  });
  mutations.observe(root, { childList: true, subtree: true, characterData: true });
  for (const element of root.querySelectorAll<HTMLElement>('pre')) watch(element);
  return () => {
    mutations.disconnect();
    resize.disconnect();
  };
}
