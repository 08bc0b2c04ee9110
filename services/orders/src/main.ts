import { runService } from '../../common/src/main.ts';
import { loadOrdersConfig } from './config.ts';
import { SERVICE_NAME, startServer } from './server.ts';

await runService({ name: SERVICE_NAME, loadConfig: loadOrdersConfig, startServer });
