import { postgresPools } from '../targets/postgresPools';
import { hostWorkers } from './poolHost';
import { startSubscriptionWorker } from './subscriptionWorker';

// Entry of a pool process (the runtime forks this file, see workerPool.ts): its workers share
// one PostgreSQL pool per server and credentials.
const pools = postgresPools();
hostWorkers((spec, report) => startSubscriptionWorker(spec, report, { postgresPools: pools }));
