import { deriveOrderFields, normalizeReference } from './derive-order-fields';
import { parseLegacyAmount, parsePayload } from './legacy-formats';

const row = (overrides: Partial<Parameters<typeof deriveOrderFields>[0]>) => ({
  payload: null,
  legacy_status: null,
  legacy_amount: null,
  external_reference: 'EO-1',
  ...overrides,
});

describe('the legacy formats', () => {
  it.each([
    ['12,50 EUR', '12.50', 'EUR'],
    ['12.50', '12.50', undefined],
    ['EUR 12.50', '12.50', 'EUR'],
    ['1.234,56 €', '1234.56', 'EUR'],
    ['1,234.56 USD', '1234.56', 'USD'],
    ['7 CHF', '7.00', 'CHF'],
    ['1.000', '1000.00', undefined],
  ])('reads the amount %j', (text, amount, currency) => {
    expect(parseLegacyAmount(text)).toEqual({ amount, currency });
  });

  it.each(['abc', '12,5,0', 'EUR 12 USD', '', '1.2345'])('refuses the amount %j', (text) => {
    expect(parseLegacyAmount(text)).toBeUndefined();
  });

  it('recognises each payload generation', () => {
    expect(parsePayload('ref=EO-1;status=paid;amount=12,50 EUR').format).toBe('v1-text');
    expect(parsePayload('{"orderStatus":"PAID","total":"12.50","currency":"EUR"}').format).toBe('v2-json');
    expect(
      parsePayload('{"version":3,"status":{"code":"paid"},"amount":{"value":1250,"scale":2,"currency":"EUR"}}').format,
    ).toBe('v3-json');
    expect(parsePayload('{"orderStatus":"PAID"').format).toBe('invalid-json');
    expect(parsePayload('{"something":"else"}').format).toBe('unknown');
    expect(parsePayload('   ').format).toBe('empty');
  });
});

describe('deriveOrderFields', () => {
  it('gives the same order whichever generation carried it', () => {
    const expected = { status: 'paid', total_amount: '12.50', currency: 'EUR', external_reference_normalized: 'EO-1' };
    for (const payload of [
      'ref=EO-1;status=bezahlt;amount=12,50 EUR',
      '{"orderStatus":"PAID","total":"12.50","currency":"EUR"}',
      '{"version":3,"status":{"code":"paid"},"amount":{"value":1250,"scale":2,"currency":"EUR"}}',
    ]) {
      expect(deriveOrderFields(row({ payload }))).toMatchObject({ ok: true, fields: expected });
    }
    expect(deriveOrderFields(row({ legacy_status: ' Paid ', legacy_amount: '12,50 EUR' }))).toMatchObject({
      ok: true,
      fields: expected,
    });
  });

  it('prefers the legacy columns release 1.0 keeps current over the payload sent at import', () => {
    const payload = 'ref=EO-1;status=bezahlt;amount=12,50 EUR';
    expect(deriveOrderFields(row({ payload, legacy_status: 'erstattet' }))).toMatchObject({
      ok: true,
      fields: { status: 'refunded', total_amount: '12.50' },
    });
    expect(deriveOrderFields(row({ payload, legacy_amount: '13,00 EUR' }))).toMatchObject({
      ok: true,
      fields: { status: 'paid', total_amount: '13.00' },
    });
  });

  it('names why a row cannot be mapped', () => {
    expect(deriveOrderFields(row({ payload: '{"orderStatus":' }))).toEqual({
      ok: false,
      reason: 'payload is invalid JSON',
      format: 'invalid-json',
    });
    expect(deriveOrderFields(row({ legacy_status: 'lost in space' }))).toMatchObject({
      ok: false,
      reason: 'unknown status "lost in space"',
    });
    expect(deriveOrderFields(row({}))).toMatchObject({ ok: false, reason: 'no status in payload or legacy_status' });
    expect(deriveOrderFields(row({ legacy_status: 'open', legacy_amount: 'zwölf' }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not an amount/),
    });
    expect(deriveOrderFields(row({ legacy_status: 'open', external_reference: 'X'.repeat(65) }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/longer than 64/),
    });
  });

  it('normalizes references so that case and white space variants collide', () => {
    expect(normalizeReference(' eo-1001 ')).toBe('EO-1001');
    expect(normalizeReference('EO-1001')).toBe('EO-1001');
    expect(normalizeReference('eo  1001')).toBe('EO 1001');
    expect(normalizeReference('  ')).toBeNull();
  });
});
