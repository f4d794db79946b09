// What the panel shows while reading and when reading failed: never a blank or frozen panel.

import { h, icon } from './dom';

export function renderLoading(title: string): {
  element: HTMLElement;
  setProgress(message: string, fraction?: number): void;
} {
  const msg = h('p', { class: 'loading-msg', 'aria-live': 'polite' }, `Reading ${title}…`);
  const bar = h('progress', { class: 'loading-bar', max: '1' });
  const element = h('div', { class: 'centre-message' }, h('h2', {}, icon('loading'), ' Kernel Memmap'), msg, bar);
  return {
    element,
    setProgress(message, fraction) {
      msg.textContent = message;
      if (fraction === undefined) bar.removeAttribute('value');
      else bar.value = fraction;
    },
  };
}

export function renderFailure(
  f: { file: string; problem: string; hint?: string },
  onRetry: () => void,
  heading = 'Cannot show this snapshot',
): HTMLElement {
  const retry = h('button', { class: 'primary' }, icon('refresh'), ' Retry');
  retry.addEventListener('click', onRetry);
  return h(
    'div',
    { class: 'centre-message failure', role: 'alert' },
    h('h2', {}, icon('error'), ` ${heading}`),
    h('p', {}, h('span', { class: 'label' }, 'File: '), h('code', { class: 'file' }, f.file)),
    h('p', {}, h('span', { class: 'label' }, 'Problem: '), f.problem),
    h(
      'p',
      {},
      h('span', { class: 'label' }, 'What to try: '),
      f.hint ??
        'check that this is a vmcore, a kdump file or a kpageflags capture (folder or .tar.gz); the "Kernel Memmap" output channel has details.',
    ),
    retry,
  );
}
