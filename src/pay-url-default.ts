// The default pay URL template, in a module of its own so that commands which
// only need the default carriers (gnpay decode) do not load the config schema.
export const DEFAULT_PAY_URL_TEMPLATE = 'http://pay.example.net/pay?pay_token={token}';
