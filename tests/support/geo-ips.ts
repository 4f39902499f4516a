/**
 * Public IPv4 addresses with a known country and ISO 3166-2 region, for tests that need a
 * requester "from" somewhere. Verified against geoip-lite@1.4.10 (GeoLite2 data of 2023-11-15);
 * re-check them if that package is upgraded (tests/unit/geo-resolve.test.ts will fail if one moved).
 */
export const GEO_IPS = {
  /** Orange, Paris. */
  franceIleDeFrance: { ip: "80.12.0.1", country: "FR", region: "FR-IDF" },
  /** Université de Strasbourg. */
  franceGrandEst: { ip: "130.79.200.1", country: "FR", region: "FR-GES" },
  /** Strato, Berlin. */
  germanyBerlin: { ip: "85.214.0.1", country: "DE", region: "DE-BE" },
  /** MaxMind's own test address. */
  britainEngland: { ip: "81.2.69.142", country: "GB", region: "GB-ENG" },
  /** UC Berkeley. */
  usCalifornia: { ip: "128.32.0.1", country: "US", region: "US-CA" },
  /** MIT. */
  usMassachusetts: { ip: "18.7.22.69", country: "US", region: "US-MA" },
} as const;
