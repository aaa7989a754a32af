// Written by `npm run docs` from the configuration schema (src/config-schema.ts,
// src/ops/config-schema-code.ts): the schema as JSON, read by src/config-keys.ts.
import type { SchemaNode } from './config-keys';

export const CONFIG_SCHEMA: SchemaNode = {
  "additionalProperties": false,
  "reloadable": false,
  "type": "object",
  "required": [
    "listen",
    "opsListen",
    "db",
    "payUrlTemplate",
    "carriers",
    "api",
    "pay",
    "listeners",
    "orders",
    "limits",
    "rateLimit",
    "payments",
    "webhooks",
    "log",
    "secrets",
    "capture",
    "decode",
    "checkpoint",
    "shutdown",
    "audit",
    "integrity",
    "spool"
  ],
  "properties": {
    "listen": {
      "minLength": 1,
      "description": "HOST:PORT of the SP API (port 0: any free port)",
      "default": "127.0.0.1:8080",
      "type": "string"
    },
    "opsListen": {
      "type": [
        "string",
        "null"
      ],
      "minLength": 1,
      "description": "HOST:PORT of the operations listener (/metrics, /healthz, /readyz); keep it off the SP network. null: none (then /metrics is served only with api.metrics)",
      "default": null
    },
    "db": {
      "type": [
        "string",
        "null"
      ],
      "minLength": 1,
      "description": "the SQLite database file (required by gnpay run; the admin commands use it too)",
      "default": null
    },
    "payUrlTemplate": {
      "minLength": 1,
      "description": "where the subscriber's phone goes to pay; {token} is replaced by the order's token, and implies the token carrier that is always active",
      "default": "http://pay.example.net/pay?pay_token={token}",
      "reloadable": true,
      "type": "string"
    },
    "carriers": {
      "description": "more token carriers (\"kind:arg\": query:NAME, path:/PREFIX/, host:SUFFIX, header:NAME, cookie:NAME) besides the one payUrlTemplate implies",
      "default": [],
      "reloadable": true,
      "type": "array",
      "items": {
        "minLength": 1,
        "type": "string"
      }
    },
    "api": {
      "additionalProperties": false,
      "description": "the SP API",
      "type": "object",
      "required": [
        "bodyLimitBytes",
        "metrics"
      ],
      "properties": {
        "bodyLimitBytes": {
          "minimum": 256,
          "maximum": 10485760,
          "description": "largest request body the SP API accepts (bytes)",
          "default": 16384,
          "type": "integer"
        },
        "metrics": {
          "description": "also serve /metrics on the SP API (global counts are the operator's, not the SPs': prefer opsListen)",
          "default": false,
          "type": "boolean"
        },
        "version": {
          "minLength": 1,
          "description": "ignored (accepted so that older files still load)",
          "type": "string"
        }
      }
    },
    "pay": {
      "additionalProperties": false,
      "description": "the pay page, where the subscriber confirms",
      "type": "object",
      "required": [
        "listen",
        "tls",
        "insecureHttp",
        "hosts",
        "bindTimeoutMs",
        "bindingTtlSeconds"
      ],
      "properties": {
        "listen": {
          "type": [
            "string",
            "null"
          ],
          "minLength": 1,
          "description": "HOST:PORT of the pay page (HTTPS at the pay host; null: no pay page): docs/paypage.md",
          "default": null
        },
        "tls": {
          "additionalProperties": false,
          "description": "the pay page's TLS (gnpay must terminate TLS itself: the ClientHello random binds the connection)",
          "type": "object",
          "required": [
            "cert",
            "key"
          ],
          "properties": {
            "cert": {
              "type": [
                "string",
                "null"
              ],
              "minLength": 1,
              "description": "PEM file of the pay host's certificate (chain)",
              "default": null
            },
            "key": {
              "type": [
                "string",
                "null"
              ],
              "minLength": 1,
              "description": "PEM file of the pay host's private key",
              "default": null
            }
          }
        },
        "insecureHttp": {
          "description": "labs only: serve the pay page over plain HTTP (no connection can be bound, nothing confirmed)",
          "default": false,
          "type": "boolean"
        },
        "hosts": {
          "maxItems": 7,
          "description": "more pay host names (the host of payUrlTemplate always is one): ClientHellos to them are reported by the probe",
          "default": [],
          "type": "array",
          "items": {
            "minLength": 1,
            "type": "string"
          }
        },
        "bindTimeoutMs": {
          "minimum": 0,
          "maximum": 30000,
          "description": "how long a pay-page request waits for the probe's report of its connection's ClientHello (ms)",
          "default": 2000,
          "type": "integer"
        },
        "bindingTtlSeconds": {
          "minimum": 1,
          "description": "how long the probe's ClientHello reports are kept (s)",
          "default": 600,
          "type": "integer"
        }
      }
    },
    "listeners": {
      "additionalProperties": false,
      "description": "timeouts and connection cap of every listener (SP API, operations, pay page)",
      "type": "object",
      "required": [
        "headersTimeoutMs",
        "requestTimeoutMs",
        "keepAliveTimeoutMs",
        "idleTimeoutMs",
        "maxConnections"
      ],
      "properties": {
        "headersTimeoutMs": {
          "minimum": 1,
          "description": "a connection whose request head has not arrived within this is closed (ms)",
          "default": 10000,
          "type": "integer"
        },
        "requestTimeoutMs": {
          "minimum": 1,
          "description": "a connection whose whole request has not arrived within this is closed (ms)",
          "default": 30000,
          "type": "integer"
        },
        "keepAliveTimeoutMs": {
          "minimum": 1,
          "description": "an idle kept-alive connection is closed after this (ms)",
          "default": 5000,
          "type": "integer"
        },
        "idleTimeoutMs": {
          "minimum": 1,
          "description": "a silent connection is closed after this (ms)",
          "default": 60000,
          "type": "integer"
        },
        "maxConnections": {
          "minimum": 1,
          "description": "connections a listener holds at most (and at most a quarter of the descriptor limit); more are closed at once",
          "default": 1024,
          "type": "integer"
        }
      }
    },
    "orders": {
      "additionalProperties": false,
      "description": "orders",
      "reloadable": true,
      "type": "object",
      "required": [
        "defaultTtlSeconds",
        "maxTtlSeconds"
      ],
      "properties": {
        "defaultTtlSeconds": {
          "minimum": 1,
          "description": "how long an order (its token) stays payable when the SP does not say (s)",
          "default": 900,
          "type": "integer"
        },
        "maxTtlSeconds": {
          "minimum": 1,
          "description": "the longest validity an SP may ask for (s)",
          "default": 86400,
          "type": "integer"
        }
      }
    },
    "limits": {
      "additionalProperties": false,
      "description": "spending limits",
      "reloadable": true,
      "type": "object",
      "required": [
        "perMsisdn"
      ],
      "properties": {
        "perMsisdn": {
          "additionalProperties": false,
          "description": "per subscriber (MSISDN), checked when the subscriber confirms; a decline names the limit",
          "type": "object",
          "required": [
            "perTransaction",
            "perMonth",
            "amountPerDay",
            "ordersPerHour"
          ],
          "properties": {
            "perTransaction": {
              "type": [
                "number",
                "null"
              ],
              "exclusiveMinimum": 0,
              "description": "most one order may cost, in major units of its currency (50 = 50.00 EUR; null: no limit)",
              "default": 50
            },
            "perMonth": {
              "type": [
                "number",
                "null"
              ],
              "exclusiveMinimum": 0,
              "description": "most a subscriber may confirm in a calendar month (UTC), in major units of the currency (null: no limit)",
              "default": 300
            },
            "amountPerDay": {
              "type": [
                "integer",
                "null"
              ],
              "minimum": 1,
              "description": "most a subscriber may be charged in 24 h, in minor units (null: no limit)",
              "default": null
            },
            "ordersPerHour": {
              "type": [
                "integer",
                "null"
              ],
              "minimum": 1,
              "description": "most orders a subscriber may pay in an hour (null: no limit)",
              "default": null
            }
          }
        }
      }
    },
    "rateLimit": {
      "additionalProperties": false,
      "description": "rate limit of the SP API",
      "reloadable": true,
      "type": "object",
      "required": [
        "ordersPerMinute"
      ],
      "properties": {
        "ordersPerMinute": {
          "type": [
            "integer",
            "null"
          ],
          "minimum": 1,
          "description": "order creations per minute per SP key (null: unlimited)",
          "default": 600
        }
      }
    },
    "payments": {
      "additionalProperties": false,
      "description": "charging subscribers",
      "type": "object",
      "required": [
        "driver",
        "concurrency",
        "retry",
        "http"
      ],
      "properties": {
        "driver": {
          "type": "string",
          "enum": [
            "ledger",
            "http"
          ],
          "description": "ledger: prepaid balances in gnpay's database (gnpay ledger); http: the operator's payment platform (payments.http)",
          "default": "ledger"
        },
        "concurrency": {
          "minimum": 1,
          "description": "charges in flight at once",
          "default": 8,
          "type": "integer"
        },
        "retry": {
          "additionalProperties": false,
          "description": "backoff with jitter between retries of a charge",
          "type": "object",
          "required": [
            "baseMs",
            "maxMs"
          ],
          "properties": {
            "baseMs": {
              "minimum": 1,
              "description": "first delay before retrying a charge (ms)",
              "default": 500,
              "type": "integer"
            },
            "maxMs": {
              "minimum": 1,
              "description": "longest delay between retries (ms)",
              "default": 60000,
              "type": "integer"
            }
          }
        },
        "http": {
          "additionalProperties": false,
          "description": "the http payment driver",
          "type": "object",
          "required": [
            "url",
            "secret",
            "secretFile",
            "timeoutMs",
            "maxAttempts",
            "statusUrl",
            "refundUrl"
          ],
          "properties": {
            "url": {
              "type": [
                "string",
                "null"
              ],
              "minLength": 1,
              "description": "the platform's charge endpoint (POST, signed)",
              "default": null
            },
            "secret": {
              "type": [
                "string",
                "null"
              ],
              "minLength": 1,
              "description": "the HMAC secret requests to the platform are signed with",
              "default": null
            },
            "secretFile": {
              "type": [
                "string",
                "null"
              ],
              "minLength": 1,
              "description": "a file holding that secret (instead of secret)",
              "default": null
            },
            "timeoutMs": {
              "minimum": 1,
              "description": "a charge call that has not answered within this is abandoned, its outcome unknown (ms)",
              "default": 10000,
              "type": "integer"
            },
            "maxAttempts": {
              "minimum": 1,
              "description": "attempts, none of which can have charged, before an order is failed",
              "default": 8,
              "type": "integer"
            },
            "statusUrl": {
              "type": [
                "string",
                "null"
              ],
              "minLength": 1,
              "description": "the platform's status call for a payment in doubt, with {key} where the idempotency key goes",
              "default": null
            },
            "refundUrl": {
              "type": [
                "string",
                "null"
              ],
              "minLength": 1,
              "description": "the platform's refund call (POST, signed, docs/api.md); null: the platform takes no refunds",
              "default": null
            }
          }
        }
      }
    },
    "webhooks": {
      "additionalProperties": false,
      "description": "signed webhooks to the SPs",
      "type": "object",
      "required": [
        "timeoutMs",
        "retryHours",
        "concurrency",
        "perSpConcurrency",
        "retry",
        "breaker",
        "allowDestinations"
      ],
      "properties": {
        "timeoutMs": {
          "minimum": 1,
          "description": "a delivery that has not answered within this failed (ms)",
          "default": 10000,
          "type": "integer"
        },
        "retryHours": {
          "exclusiveMinimum": 0,
          "description": "how long a delivery is retried before it is abandoned (h)",
          "default": 24,
          "type": "number"
        },
        "concurrency": {
          "minimum": 1,
          "description": "deliveries in flight in all",
          "default": 64,
          "type": "integer"
        },
        "perSpConcurrency": {
          "minimum": 1,
          "description": "deliveries in flight for one SP",
          "default": 8,
          "type": "integer"
        },
        "retry": {
          "additionalProperties": false,
          "description": "backoff with jitter between retries of a delivery",
          "type": "object",
          "required": [
            "baseMs",
            "maxMs"
          ],
          "properties": {
            "baseMs": {
              "minimum": 1,
              "description": "first delay before retrying a delivery (ms)",
              "default": 1000,
              "type": "integer"
            },
            "maxMs": {
              "minimum": 1,
              "description": "longest delay between retries (ms)",
              "default": 900000,
              "type": "integer"
            }
          }
        },
        "breaker": {
          "additionalProperties": false,
          "description": "per endpoint: failures in a row pause it, then one probe",
          "type": "object",
          "required": [
            "failures",
            "baseMs",
            "maxMs"
          ],
          "properties": {
            "failures": {
              "minimum": 1,
              "description": "failures in a row that pause an endpoint",
              "default": 5,
              "type": "integer"
            },
            "baseMs": {
              "minimum": 1,
              "description": "first pause (ms), doubled at each failed probe",
              "default": 5000,
              "type": "integer"
            },
            "maxMs": {
              "minimum": 1,
              "description": "longest pause (ms)",
              "default": 300000,
              "type": "integer"
            }
          }
        },
        "allowDestinations": {
          "description": "CIDRs webhooks may reach although loopback, private, link-local, shared or reserved (refused by default)",
          "default": [],
          "type": "array",
          "items": {
            "minLength": 1,
            "type": "string"
          }
        }
      }
    },
    "log": {
      "additionalProperties": false,
      "description": "logs (JSON lines)",
      "type": "object",
      "required": [
        "level",
        "redactPersonalData",
        "destination",
        "progressSeconds"
      ],
      "properties": {
        "level": {
          "type": "string",
          "enum": [
            "fatal",
            "error",
            "warn",
            "info",
            "debug",
            "trace",
            "silent"
          ],
          "description": "the least severe level logged",
          "default": "info",
          "reloadable": true
        },
        "redactPersonalData": {
          "description": "redact MSISDN, IMSI and IMEI in the logs (keys, secrets and tokens always are)",
          "default": true,
          "type": "boolean"
        },
        "destination": {
          "type": "string",
          "enum": [
            "stdout",
            "stderr"
          ],
          "description": "where the JSON lines go",
          "default": "stdout"
        },
        "progressSeconds": {
          "type": [
            "integer",
            "null"
          ],
          "minimum": 1,
          "description": "a progress line of a --read replay every this many seconds when stderr is not a terminal (null: none)",
          "default": 30
        }
      }
    },
    "secrets": {
      "additionalProperties": false,
      "description": "secrets at rest",
      "type": "object",
      "required": [
        "apiKeyPepper",
        "webhookSecretKey",
        "webhookSecretKeyFile"
      ],
      "properties": {
        "apiKeyPepper": {
          "type": [
            "string",
            "null"
          ],
          "minLength": 1,
          "description": "HMAC key of the stored API key hashes (changing it invalidates every key)",
          "default": null
        },
        "webhookSecretKey": {
          "type": [
            "string",
            "null"
          ],
          "minLength": 1,
          "description": "the 32-byte key (64 hex characters or base64) webhook secrets are encrypted under; null: <db>.key, made at first use",
          "default": null
        },
        "webhookSecretKeyFile": {
          "type": [
            "string",
            "null"
          ],
          "minLength": 1,
          "description": "a file holding that key (instead of webhookSecretKey)",
          "default": null
        }
      }
    },
    "capture": {
      "additionalProperties": false,
      "description": "live capture",
      "type": "object",
      "required": [
        "interfaces",
        "bufferMiB",
        "snaplen",
        "filter"
      ],
      "properties": {
        "interfaces": {
          "description": "interfaces to capture live (names or addresses; gnpay interfaces lists them)",
          "default": [],
          "type": "array",
          "items": {
            "minLength": 1,
            "type": "string"
          }
        },
        "bufferMiB": {
          "type": [
            "integer",
            "null"
          ],
          "minimum": 1,
          "description": "the TPACKET_V3 ring per interface (MiB; null: 256)",
          "default": null
        },
        "snaplen": {
          "type": [
            "integer",
            "null"
          ],
          "minimum": 1,
          "description": "bytes captured per packet (null: the whole packet)",
          "default": null
        },
        "filter": {
          "type": [
            "string",
            "null"
          ],
          "minLength": 1,
          "description": "a BPF expression (tcpdump syntax) replacing the default live filter (GTP-C, GTP-U, fragments); applies to --read files too",
          "default": null
        }
      }
    },
    "decode": {
      "additionalProperties": false,
      "description": "the decode engine",
      "type": "object",
      "required": [
        "limits"
      ],
      "properties": {
        "limits": {
          "additionalProperties": false,
          "description": "bounds of the decoder's tables (absent: the engine's defaults, docs/sessions.md)",
          "type": "object",
          "properties": {
            "maxSessions": {
              "minimum": 1,
              "description": "subscriber contexts in the tunnel table (about 300 bytes each)",
              "type": "integer"
            },
            "maxPendingRequests": {
              "minimum": 1,
              "description": "GTP-C requests awaiting their response",
              "type": "integer"
            },
            "pendingTimeoutSeconds": {
              "minimum": 1,
              "description": "how long a GTP-C request waits for its response (s)",
              "type": "integer"
            },
            "maxFragmentDatagrams": {
              "minimum": 1,
              "description": "outer IP datagrams in reassembly",
              "type": "integer"
            },
            "maxFragmentBytes": {
              "minimum": 1,
              "description": "bytes held by outer IP reassembly",
              "type": "integer"
            },
            "fragmentTimeoutSeconds": {
              "minimum": 1,
              "description": "how long an incomplete datagram is kept (s)",
              "type": "integer"
            },
            "maxTcpFlows": {
              "minimum": 1,
              "description": "TCP flows whose request heads are reassembled",
              "type": "integer"
            },
            "maxRequestHeadBytes": {
              "minimum": 1,
              "description": "largest HTTP request head reassembled (bytes)",
              "type": "integer"
            },
            "tcpFlowTimeoutSeconds": {
              "minimum": 1,
              "description": "how long an idle TCP flow is kept (s)",
              "type": "integer"
            }
          }
        }
      }
    },
    "checkpoint": {
      "additionalProperties": false,
      "description": "checkpoint of the engine's tunnel table (live capture): subscribers outlive restarts",
      "type": "object",
      "required": [
        "intervalSeconds",
        "maxAgeHours"
      ],
      "properties": {
        "intervalSeconds": {
          "minimum": 1,
          "description": "how often the tunnel table is saved into the database (s)",
          "default": 10,
          "type": "integer"
        },
        "maxAgeHours": {
          "minimum": 1,
          "description": "contexts older than this are dropped when restored at start (h)",
          "default": 24,
          "type": "integer"
        }
      }
    },
    "shutdown": {
      "additionalProperties": false,
      "description": "stopping",
      "reloadable": true,
      "type": "object",
      "required": [
        "timeoutMs"
      ],
      "properties": {
        "timeoutMs": {
          "minimum": 1,
          "description": "SIGTERM: how long to wait for what is in flight before exiting (ms)",
          "default": 10000,
          "type": "integer"
        }
      }
    },
    "audit": {
      "additionalProperties": false,
      "description": "the audit trail of sightings",
      "type": "object",
      "required": [
        "retentionDays",
        "maxSightings",
        "perTunnelPerSecond",
        "perTunnelBurst"
      ],
      "properties": {
        "retentionDays": {
          "type": [
            "integer",
            "null"
          ],
          "minimum": 1,
          "description": "sightings that matched no order (stored by earlier versions) are deleted after this many days (null: kept)",
          "default": 30,
          "reloadable": true
        },
        "maxSightings": {
          "minimum": 1000,
          "description": "most sightings kept (only those of known tokens are stored); the oldest go first",
          "default": 1000000,
          "type": "integer"
        },
        "perTunnelPerSecond": {
          "exclusiveMinimum": 0,
          "description": "sightings a tunnel may make per second (more are counted as ratelimited, not stored)",
          "default": 20,
          "type": "number"
        },
        "perTunnelBurst": {
          "minimum": 1,
          "description": "the burst of that rate",
          "default": 100,
          "type": "integer"
        }
      }
    },
    "integrity": {
      "additionalProperties": false,
      "description": "database integrity checks",
      "type": "object",
      "required": [
        "intervalMinutes"
      ],
      "properties": {
        "intervalMinutes": {
          "type": [
            "integer",
            "null"
          ],
          "minimum": 1,
          "description": "PRAGMA quick_check of the database every this many minutes (always at start; null: only at start)",
          "default": 60
        }
      }
    },
    "spool": {
      "additionalProperties": false,
      "description": "the spool of sightings while the database cannot be written",
      "type": "object",
      "required": [
        "sizeMiB"
      ],
      "properties": {
        "sizeMiB": {
          "type": [
            "integer",
            "null"
          ],
          "minimum": 1,
          "description": "live capture: sightings the database cannot take (disk full) wait in <db>.spool, this size set aside at start (MiB; null: no spool)",
          "default": 16
        }
      }
    }
  }
};
