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
  function scan(): void {
    for (const element of root.querySelectorAll<HTMLElement>('pre')) {
      if (!watched.has(element)) {
        watched.add(element);
        resize.observe(element);
      }
      update(element);
    }
  }
  const mutations = new MutationObserver(scan);
  mutations.observe(root, { childList: true, subtree: true, characterData: true });
  scan();
  return () => {
    mutations.disconnect();
    resize.disconnect();
  };
}
