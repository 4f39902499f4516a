import { afterEach, describe, expect, it } from "vitest";
import { env, resetEnvForTests } from "@/server/env";
import { siemConfigFromEnv } from "@/server/siem/config";

/* The SIEM export's settings are checked once with the rest of the environment, with errors that name the variable. */

const base = {
  DATABASE_URL: "postgres://u:p@localhost:5432/interim",
  LDAP_URL: "ldaps://dc1.example.test",
  LDAP_BASE_DN: "DC=example,DC=test",
  LDAP_BIND_DN: "CN=svc,DC=example,DC=test",
  LDAP_BIND_PASSWORD: "secret",
  INTERIM_ADMIN_GROUP_DN: "CN=Admins,DC=example,DC=test",
};
const saved = { ...process.env };

function withEnv(vars: Record<string, string>) {
  process.env = { ...base, ...vars } as unknown as NodeJS.ProcessEnv;
  resetEnvForTests();
}

afterEach(() => {
  process.env = saved;
  resetEnvForTests();
});

describe("SIEM env", () => {
  it("is off when SIEM_SYSLOG_URL is unset", () => {
    withEnv({});
    expect(siemConfigFromEnv()).toBeNull();
  });

  it("reads a TLS target with its CA file, format and defaults", () => {
    withEnv({ SIEM_SYSLOG_URL: "tls://siem.example.test:6514", SIEM_FORMAT: "cef", SIEM_TLS_CA_FILE: "/etc/interim/siem-ca.pem", SIEM_HOSTNAME: "jit-1" });
    expect(siemConfigFromEnv()).toEqual({
      target: { host: "siem.example.test", port: 6514, tls: true, caFile: "/etc/interim/siem-ca.pem" },
      format: "cef",
      appName: "interim",
      hostname: "jit-1",
      batchSize: 2000,
      checkpointMs: 2000,
      closeTimeoutMs: 10_000,
      reconnectMaxMs: 30_000,
      pollMs: 500,
    });
  });

  it.each([
    [{ SIEM_SYSLOG_URL: "udp://siem:514" }, /SIEM_SYSLOG_URL: SIEM_SYSLOG_URL must be tcp:\/\/host:port or tls:\/\/host:port/],
    [{ SIEM_SYSLOG_URL: "tcp://user:pw@siem:514" }, /SIEM_SYSLOG_URL: .*no credentials/],
    [{ SIEM_SYSLOG_URL: "tcp://siem" }, /SIEM_SYSLOG_URL/],
    [{ SIEM_SYSLOG_URL: "tcp://siem:70000" }, /SIEM_SYSLOG_URL: port above 65535/],
    [{ SIEM_SYSLOG_URL: "tcp://siem:514", SIEM_FORMAT: "leef" }, /SIEM_FORMAT: SIEM_FORMAT must be json or cef/],
    [{ SIEM_SYSLOG_URL: "tcp://siem:514", SIEM_TLS_CA_FILE: "/ca.pem" }, /SIEM_TLS_CA_FILE: set, but SIEM_SYSLOG_URL is not a tls:\/\/ URL/],
    [{ SIEM_SYSLOG_URL: "tcp://siem:514", SIEM_APP_NAME: "my app" }, /SIEM_APP_NAME: 1–48 printable ASCII/],
    [{ SIEM_SYSLOG_URL: "tcp://siem:514", SIEM_CHECKPOINT_MS: "10" }, /SIEM_CHECKPOINT_MS/],
  ])("refuses %j with a clear error", (vars, message) => {
    withEnv(vars);
    expect(() => env.SIEM_SYSLOG_URL).toThrow(message);
  });
});
