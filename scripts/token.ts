import { readAppConfig } from '../config/app-config';
import { isRole } from '../apps/api/auth/principal';
import { mintToken } from '../apps/api/auth/token';

// Usage: npm run token -- <buyer|seller|support|admin> <id>
const [role, id] = process.argv.slice(2);
if (!isRole(role) || !id || !/^\d+$/.test(id)) {
  console.error('usage: npm run token -- <buyer|seller|support|admin> <numeric id>');
  process.exit(2);
}
console.log(mintToken(readAppConfig().api.jwtSecret, role, id));
