import { describe, expect, it } from 'vitest';
import type { OpenedDocument } from './bindings';
import { documentOpened, forgetAll, forgetDocument, preparedDocument } from './prepare';

const doc = (id: string): OpenedDocument => ({
  id,
  meeting_id: 'm',
  title: id,
  version: 1,
  sha256: id.repeat(64).slice(0, 64),
  classification: 'public',
  pages: [{ width: 595, height: 842 }],
  signature: { status: 'unsigned', signer: null, organization: null, signing_time: null, why: null, checked_here: true },
  watermark: null,
});

describe('prepared documents', () => {
  it("are the viewer's first frame until the engine says the document is gone", () => {
    documentOpened(doc('a'));
    documentOpened(doc('b'));
    expect(preparedDocument('a')?.title).toBe('a');
    forgetDocument('a');
    expect(preparedDocument('a')).toBeNull();
    expect(preparedDocument('b')?.title).toBe('b');
  });
  it('are all forgotten when the user signs out', () => {
    documentOpened(doc('c'));
    forgetAll();
    expect(preparedDocument('b')).toBeNull();
    expect(preparedDocument('c')).toBeNull();
  });
});
