/**
 * The one list of CRM providers Leadgrid knows, handed by the composition root to the neutral CRM
 * layer (crm-services.ts). Adding a CRM: its folder's module (crm/<provider>/index.ts) and one line here.
 */
import { hubspotModule } from './hubspot/index.js'
import { pipedriveModule } from './pipedrive/index.js'
import type { CrmModule } from './provider-module.js'

export const CRM_MODULES: readonly CrmModule[] = [hubspotModule, pipedriveModule]
