import "server-only";
import type { Entry } from "ldapts";
import { env } from "@/server/env";
import { serviceConnection } from "./connection";
import { DirectoryError } from "./errors";
import { str, strs } from "./service";

/*
 * Facts about the domain itself, read from rootDSE and the configuration partition: its DCs, the
 * forest's PAM feature, the lockout policy.
 */

const PAM_FEATURE_CN = "Privileged Access Management Feature";

export interface DomainControllerInfo {
  hostName: string;
  serverDn: string;
  site: string;
}

async function rootDse(): Promise<Entry> {
  return serviceConnection().run("Read rootDSE", async (c) => {
    const { searchEntries } = await c.search("", {
      scope: "base",
      filter: "(objectClass=*)",
      attributes: ["defaultNamingContext", "configurationNamingContext", "dnsHostName"],
    });
    if (!searchEntries[0]) throw new DirectoryError("other", "The directory returned no rootDSE");
    return searchEntries[0];
  });
}

/** The domain's DCs, from their nTDSDSA ("NTDS Settings") objects in the configuration partition. */
export async function listDomainControllers(): Promise<DomainControllerInfo[]> {
  const configNc = str(await rootDse(), "configurationNamingContext");
  if (!configNc) throw new DirectoryError("other", "rootDSE has no configurationNamingContext");
  return serviceConnection().run("List domain controllers", async (c) => {
    const sites = `CN=Sites,${configNc}`;
    const dsas = await c.search(sites, { scope: "sub", filter: "(objectClass=nTDSDSA)", attributes: ["objectClass"] });
    const servers = await c.search(sites, { scope: "sub", filter: "(objectClass=server)", attributes: ["dNSHostName"] });
    const hostByServer = new Map(servers.searchEntries.map((e) => [e.dn.toLowerCase(), str(e, "dNSHostName")]));
    return dsas.searchEntries
      .map((e) => {
        const serverDn = e.dn.slice(e.dn.indexOf(",") + 1);
        const siteMatch = /CN=Servers,CN=([^,]+),CN=Sites,/i.exec(serverDn);
        return {
          hostName: hostByServer.get(serverDn.toLowerCase()) ?? serverDn,
          serverDn,
          site: siteMatch?.[1] ?? "",
        };
      })
      .sort((a, b) => a.hostName.localeCompare(b.hostName));
  });
}

/**
 * Whether the forest's Privileged Access Management optional feature is enabled (TTL
 * memberships). Enabled forest-wide features are listed in msDS-EnabledFeature of CN=Partitions.
 * Samba has no such feature object, so this says false there.
 */
export async function detectPamFeature(): Promise<boolean> {
  const configNc = str(await rootDse(), "configurationNamingContext");
  return serviceConnection().run("Detect PAM feature", async (c) => {
    const { searchEntries } = await c.search(`CN=Partitions,${configNc}`, {
      scope: "base",
      filter: "(objectClass=*)",
      attributes: ["msDS-EnabledFeature"],
    });
    const enabled = searchEntries[0] ? strs(searchEntries[0], "msDS-EnabledFeature") : [];
    return enabled.some((dn) => dn.toUpperCase().startsWith(`CN=${PAM_FEATURE_CN.toUpperCase()},`));
  });
}

export interface DomainPolicy {
  domainDn: string;
  lockoutThreshold: number;
  /** How long AD remembers bad passwords (lockOutObservationWindow), in minutes. */
  lockoutObservationMinutes: number;
}

/** AD stores durations as negative counts of 100 ns. */
export function adIntervalToMinutes(raw: string | null): number {
  const n = Number(raw ?? 0);
  return Number.isFinite(n) ? Math.abs(n) / 10_000_000 / 60 : 0;
}

export async function readDomainPolicy(): Promise<DomainPolicy> {
  const domainDn = str(await rootDse(), "defaultNamingContext") ?? env.LDAP_BASE_DN;
  return serviceConnection().run("Read domain policy", async (c) => {
    const { searchEntries } = await c.search(domainDn, {
      scope: "base",
      filter: "(objectClass=*)",
      attributes: ["lockoutThreshold", "lockOutObservationWindow"],
    });
    const e = searchEntries[0];
    return {
      domainDn,
      lockoutThreshold: Number(e ? (str(e, "lockoutThreshold") ?? 0) : 0),
      lockoutObservationMinutes: e ? adIntervalToMinutes(str(e, "lockOutObservationWindow")) : 0,
    };
  });
}
