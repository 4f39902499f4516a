"use client";

import dynamic from "next/dynamic";
import { ChartPlaceholder } from "./dashboard-figure";

/*
 * recharts is most of the dashboard's JavaScript: it loads after the page, in its own chunk, while
 * the tables (rendered on the server) already carry every number. ssr: false because a chart
 * measures its container, which only exists in the browser.
 */

const load = () => import("./dashboard-charts");

export const ActiveGrantsChart = dynamic(() => load().then((m) => m.ActiveGrantsChart), { ssr: false, loading: () => <ChartPlaceholder /> });
export const OutcomesChart = dynamic(() => load().then((m) => m.OutcomesChart), { ssr: false, loading: () => <ChartPlaceholder /> });
export const PercentileChart = dynamic(() => load().then((m) => m.PercentileChart), { ssr: false, loading: () => <ChartPlaceholder /> });
export const TopPrivilegesChart = dynamic(() => load().then((m) => m.TopPrivilegesChart), { ssr: false, loading: () => <ChartPlaceholder /> });
