// Temporary: the next periodic launch lives in jobs/periodic.ts (cron parsing in nomad/cron.ts).
export { nextPeriodicLaunch } from '../jobs/periodic.ts';
