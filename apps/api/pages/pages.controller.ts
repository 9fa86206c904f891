import { Controller } from '@nestjs/common';
@Controller('pay')
export class PagesController {}
