/**
 * Keyboard focus for a modal <dialog>: Tab and Shift+Tab cycle through the
 * dialog's controls (the browser would otherwise let focus leave for its own
 * toolbar), and closing returns focus to the control that opened it.
 */
const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), [contenteditable="true"]';

function focusables(dialog: HTMLDialogElement): HTMLElement[] {
  return [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((element) => element.getClientRects().length > 0);
}

/** Svelte action for a <dialog> opened with showModal(). */
export function dialogFocus(dialog: HTMLDialogElement): { destroy(): void } {
  let opener: HTMLElement | null = null;

  // showModal() moves focus into the dialog; remember where it was just before.
  const showModal = dialog.showModal.bind(dialog);
  dialog.showModal = () => {
    opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    showModal();
  };

  function onkeydown(event: KeyboardEvent): void {
    if (event.key !== 'Tab') return;
    const items = focusables(dialog);
    const first = items[0];
    const last = items.at(-1);
    if (!first || !last) return;
    const active = document.activeElement;
    if (event.shiftKey && (active === first || !dialog.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  }

  function onclose(): void {
    const active = document.activeElement;
    // Leave focus alone when an action in the dialog already moved it somewhere on purpose.
    const lost = !active || active === document.body || dialog.contains(active);
    if (lost && opener?.isConnected) opener.focus();
    opener = null;
  }

  dialog.addEventListener('keydown', onkeydown);
  dialog.addEventListener('close', onclose);
  return {
    destroy() {
      dialog.removeEventListener('keydown', onkeydown);
      dialog.removeEventListener('close', onclose);
    },
  };
}
