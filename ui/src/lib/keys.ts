// The viewer's keyboard: what a key press does, decided apart from the DOM so that it can
// be tested. While the user types (search box, sticky note), only Ctrl+F is the viewer's:
// Ctrl+Z there undoes the typing, never an annotation.

export type ViewerAction = 'search' | 'undo' | 'next' | 'prev' | 'first' | 'last' | 'zoom-in' | 'zoom-out' | 'escape';

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  /** The focus is in a text field. */
  typing: boolean;
}

export function viewerAction(e: KeyPress): ViewerAction | null {
  const command = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (command && key === 'f') return 'search';
  if (e.typing) return null;
  if (command && key === 'z') return 'undo';
  switch (e.key) {
    case 'PageDown':
    case 'ArrowRight':
    case ' ':
      return 'next';
    case 'PageUp':
    case 'ArrowLeft':
      return 'prev';
    case 'Home':
      return 'first';
    case 'End':
      return 'last';
    case '+':
    case '=':
      return 'zoom-in';
    case '-':
      return 'zoom-out';
    case 'Escape':
      return 'escape';
    default:
      return null;
  }
}
