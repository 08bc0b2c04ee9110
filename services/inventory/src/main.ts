import { runService } from '../../common/src/main.ts';
import { loadInventoryConfig } from './config.ts';
import { SERVICE_NAME, startServer } from './server.ts';

await runService({ name: SERVICE_NAME, loadConfig: loadInventoryConfig, startServer });
