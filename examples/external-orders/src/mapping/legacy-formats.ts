import { z } from 'zod';

/*
 * The three generations of the payload the external shop system sent over the years, and the free-text legacy
 * columns. These schemas are the single description of the legacy data: the compat format check buckets rows by
 * them, the backfill transform derives the new columns from them, and the repository's dual read falls back to them.
 */

/** 2019-2020: `key=value` pairs separated by `;`, e.g. `ref=EO-1001;status=paid;amount=12,50 EUR`. */
export const payloadV1Schema = z
  .string()
  .regex(/^(?:[a-z_]+=[^;]*;)*[a-z_]+=[^;]*;?$/, 'not a key=value;... text payload')
  .transform((text) =>
    Object.fromEntries(
      text
        .split(';')
        .filter(Boolean)
        .map((pair) => pair.split('=', 2) as [string, string]),
    ),
  )
  .pipe(
    z.object({
      ref: z.string().optional(),
      status: z.string().optional(),
      amount: z.string().optional(),
    }),
  );

/** 2021-2022: flat JSON with string amounts, e.g. `{"orderStatus":"PAID","total":"12.50","currency":"EUR"}`. */
export const payloadV2Schema = z.object({
  orderStatus: z.string(),
  total: z.string().optional(),
  currency: z.string().length(3).optional(),
});

/** Since 2023: versioned JSON with minor units, e.g. `{"version":3,"status":{"code":"paid"},"amount":{...}}`. */
export const payloadV3Schema = z.object({
  version: z.literal(3),
  status: z.object({ code: z.string() }),
  amount: z
    .object({
      value: z.number().int(),
      scale: z.number().int().min(0).max(4),
      currency: z.string().length(3),
    })
    .optional(),
});

export type PayloadV1 = z.output<typeof payloadV1Schema>;
export type PayloadV2 = z.output<typeof payloadV2Schema>;
export type PayloadV3 = z.output<typeof payloadV3Schema>;

/** The format variant a payload was recognised as. `invalid-json` and `unknown` cannot be mapped. */
export type PayloadFormat = 'v1-text' | 'v2-json' | 'v3-json' | 'invalid-json' | 'unknown' | 'empty';

export type ParsedPayload =
  | { readonly format: 'v1-text'; readonly value: PayloadV1 }
  | { readonly format: 'v2-json'; readonly value: PayloadV2 }
  | { readonly format: 'v3-json'; readonly value: PayloadV3 }
  | { readonly format: 'invalid-json' | 'unknown' | 'empty'; readonly value: undefined };

/** Recognises a legacy payload's generation and parses it. Never throws. */
export function parsePayload(payload: string | null | undefined): ParsedPayload {
  const text = payload?.trim() ?? '';
  if (text === '') return { format: 'empty', value: undefined };
  if (text.startsWith('{') || text.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { format: 'invalid-json', value: undefined };
    }
    const v3 = payloadV3Schema.safeParse(json);
    if (v3.success) return { format: 'v3-json', value: v3.data };
    const v2 = payloadV2Schema.safeParse(json);
    if (v2.success) return { format: 'v2-json', value: v2.data };
    return { format: 'unknown', value: undefined };
  }
  const v1 = payloadV1Schema.safeParse(text);
  return v1.success ? { format: 'v1-text', value: v1.data } : { format: 'unknown', value: undefined };
}

/** The normalized order statuses of the new `status` column. */
export const ORDER_STATUSES = ['open', 'paid', 'shipped', 'cancelled', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const STATUS_SYNONYMS: Readonly<Record<string, OrderStatus>> = {
  open: 'open',
  new: 'open',
  offen: 'open',
  pending: 'open',
  paid: 'paid',
  bezahlt: 'paid',
  shipped: 'shipped',
  versendet: 'shipped',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  storniert: 'cancelled',
  refunded: 'refunded',
  erstattet: 'refunded',
};

/** `' PAID'`, `'bezahlt'`, `'Canceled'` → the normalized status, or undefined when the text is not a known status. */
export function normalizeStatus(text: string | null | undefined): OrderStatus | undefined {
  if (!text) return undefined;
  return STATUS_SYNONYMS[text.trim().toLowerCase()];
}

export interface Money {
  /** Decimal string with two fraction digits, as DECIMAL(12,2) stores it: `'1234.56'`. */
  readonly amount: string;
  readonly currency: string | undefined;
}

const CURRENCY_SYMBOLS: Readonly<Record<string, string>> = { '€': 'EUR', $: 'USD', '£': 'GBP', CHF: 'CHF' };

/**
 * Parses the amount strings found in `legacy_amount` and in v1 payloads: `12,50 EUR`, `12.50`, `EUR 12.50`,
 * `1.234,56 €`, `1,234.56 USD`. Returns undefined for anything else.
 */
export function parseLegacyAmount(text: string | null | undefined): Money | undefined {
  if (!text) return undefined;
  const match = /^\s*([A-Z]{3}|€|\$|£)?\s*(-?[\d.,]+)\s*([A-Z]{3}|€|\$|£)?\s*$/.exec(text);
  if (!match || (match[1] && match[3])) return undefined;
  const symbol = match[1] ?? match[3];
  const currency = symbol ? (CURRENCY_SYMBOLS[symbol] ?? symbol) : undefined;
  const parsed = splitNumber(match[2]!);
  if (!parsed) return undefined;
  const { digits, decimals } = parsed;
  const negative = digits.startsWith('-');
  const unsigned = negative ? digits.slice(1) : digits;
  const cents = BigInt(unsigned) * 10n ** BigInt(2 - decimals);
  return { amount: formatCents(negative ? -cents : cents), currency };
}

/** Minor units with a scale (`{ value: 1250, scale: 2 }`) → `'12.50'`. */
export function amountFromMinorUnits(value: number, scale: number): string {
  const cents = scale <= 2 ? BigInt(value) * 10n ** BigInt(2 - scale) : BigInt(value) / 10n ** BigInt(scale - 2);
  return formatCents(cents);
}

/*
 * The number shapes seen in the legacy data. A single separator followed by one or two digits is a decimal
 * separator; groups of three after a separator are thousands (`1.000` is one thousand, as the German shop wrote it).
 */
const NUMBER_SHAPES: readonly RegExp[] = [
  /^-?\d+$/,
  /^-?\d+[.,]\d{1,2}$/,
  /^-?\d{1,3}(?:\.\d{3})+$/,
  /^-?\d{1,3}(?:,\d{3})+$/,
  /^-?\d{1,3}(?:\.\d{3})+,\d{1,2}$/,
  /^-?\d{1,3}(?:,\d{3})+\.\d{1,2}$/,
];

function splitNumber(number: string): { digits: string; decimals: number } | undefined {
  const shape = NUMBER_SHAPES.findIndex((pattern) => pattern.test(number));
  if (shape === -1) return undefined;
  const hasDecimals = shape === 1 || shape >= 4;
  const lastSeparator = Math.max(number.lastIndexOf(','), number.lastIndexOf('.'));
  return { digits: number.replace(/[.,]/g, ''), decimals: hasDecimals ? number.length - lastSeparator - 1 : 0 };
}

function formatCents(cents: bigint): string {
  const negative = cents < 0n;
  const absolute = negative ? -cents : cents;
  const text = absolute.toString().padStart(3, '0');
  return `${negative ? '-' : ''}${text.slice(0, -2)}.${text.slice(-2)}`;
}
