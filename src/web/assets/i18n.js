/**
 * English and French. The language comes from the user's choice (kept in localStorage), else the
 * browser's; `<html lang>` follows; dates and numbers go through Intl in that language.
 */
const STORE = 'leadgrid.lang'

const fr = {
  Grid: 'Grille',
  'Preview & publish': 'Aperçu et publication',
  'Versions & audit': 'Versions et journal',
  Contacts: 'Contacts',
  Connections: 'Connexions',
  Language: 'Langue',
  'Sign out': 'Se déconnecter',
  admin: 'admin',
  viewer: 'lecteur',
  'Loading…': 'Chargement…',
  'Main navigation': 'Navigation principale',
  // Grid editor
  'Published grid': 'Grille publiée',
  'version {v}': 'version {v}',
  'Draft (not published)': 'Brouillon (non publié)',
  'Grid settings': 'Réglages de la grille',
  Name: 'Nom',
  Description: 'Description',
  'Lookback (days)': 'Période prise en compte (jours)',
  'Warm threshold': 'Seuil tiède',
  'Hot threshold': 'Seuil chaud',
  'Grade A when fit ≥': 'Note A si profil ≥',
  'Grade B when fit ≥': 'Note B si profil ≥',
  'Grade 1 when engagement ≥': 'Note 1 si engagement ≥',
  'Grade 2 when engagement ≥': 'Note 2 si engagement ≥',
  'MQL threshold': 'Seuil MQL',
  'MQL hysteresis': 'Hystérésis MQL',
  'Minimum score': 'Score minimum',
  'Maximum score': 'Score maximum',
  'Bands, grades and MQL': 'Niveaux, notes et MQL',
  Rules: 'Règles',
  'Groups and caps': 'Groupes et plafonds',
  'Add a group': 'Ajouter un groupe',
  'Cap (max points)': 'Plafond (points max)',
  'Floor (min points)': 'Plancher (points min)',
  Label: 'Libellé',
  Points: 'Points',
  Id: 'Identifiant',
  Group: 'Groupe',
  '(none)': '(aucun)',
  'Rationale (why this rule)': 'Justification (pourquoi cette règle)',
  Remove: 'Supprimer',
  'Remove rule {label}': 'Supprimer la règle {label}',
  'Add a rule': 'Ajouter une règle',
  'Kind of rule': 'Type de règle',
  fit: 'profil',
  engagement: 'engagement',
  frequency: 'fréquence',
  streak: 'série',
  inactivity: 'inactivité',
  Conditions: 'Conditions',
  Events: 'Événements',
  'Event types': 'Types d’événement',
  'Only events where': 'Seulement les événements où',
  'Add a condition on attributes': 'Ajouter une condition sur les attributs',
  'Remove the condition': 'Supprimer la condition',
  'Add another event selector': 'Ajouter un autre sélecteur d’événements',
  'Remove this selector': 'Supprimer ce sélecteur',
  Count: 'Compter',
  'each occurrence': 'chaque occurrence',
  'each day': 'chaque jour',
  'each distinct value of': 'chaque valeur distincte de',
  'Distinct key': 'Clé distincte',
  'Max count': 'Nombre maximum',
  'Window (days)': 'Fenêtre (jours)',
  'Decay half-life (days)': 'Demi-vie de la décote (jours)',
  'At least': 'Au moins',
  'Streak length': 'Longueur de la série',
  'Email category': 'Catégorie d’email',
  any: 'toutes',
  'Days without activity': 'Jours sans activité',
  Condition: 'Condition',
  'all of': 'toutes ces conditions',
  'any of': 'l’une de ces conditions',
  not: 'pas',
  'a test': 'un test',
  Property: 'Propriété',
  Attribute: 'Attribut',
  Operator: 'Opérateur',
  Value: 'Valeur',
  'Values (comma-separated)': 'Valeurs (séparées par des virgules)',
  From: 'De',
  To: 'À',
  Add: 'Ajouter',
  'Import JSON': 'Importer du JSON',
  'Export JSON': 'Exporter en JSON',
  'Reset to the published grid': 'Revenir à la grille publiée',
  'The imported file is not JSON: {m}': 'Le fichier importé n’est pas du JSON : {m}',
  '{n} problems to fix before previewing or publishing':
    '{n} problèmes à corriger avant l’aperçu ou la publication',
  'No problem found': 'Aucun problème',
  'Viewers can read the grid; only admins can edit and publish it.':
    'Les lecteurs peuvent consulter la grille ; seuls les admins la modifient et la publient.',
  // Preview
  'Preview on every contact': 'Aperçu sur tous les contacts',
  'Previewing…': 'Calcul de l’aperçu…',
  'Contacts scored': 'Contacts évalués',
  'Score changes': 'Scores modifiés',
  'Band changes': 'Changements de niveau',
  'Become MQL': 'Deviennent MQL',
  'No longer MQL': 'Ne sont plus MQL',
  'Score distribution': 'Distribution des scores',
  Published: 'Publiée',
  Draft: 'Brouillon',
  'Biggest movers': 'Plus fortes variations',
  Contact: 'Contact',
  Before: 'Avant',
  After: 'Après',
  'Why (with the draft)': 'Pourquoi (avec le brouillon)',
  'No contact changes score.': 'Aucun score ne change.',
  'Note for the audit log (optional)': 'Note pour le journal (facultatif)',
  Publish: 'Publier',
  'Publishing…': 'Publication…',
  'Published version {v}': 'Version {v} publiée',
  'Rescoring: {done} of {total} contacts': 'Recalcul : {done} contacts sur {total}',
  'Every contact is rescored.': 'Tous les contacts sont recalculés.',
  'Only admins can publish.': 'Seuls les admins peuvent publier.',
  'Computed in {ms} ms': 'Calculé en {ms} ms',
  Changes: 'Modifications',
  'Fix the grid first: {n} problems.': 'Corrigez d’abord la grille : {n} problèmes.',
  'Nothing changed: the draft is the published grid.':
    'Rien n’a changé : le brouillon est la grille publiée.',
  // Versions and audit
  Versions: 'Versions',
  Version: 'Version',
  Status: 'Statut',
  published: 'publiée',
  retired: 'retirée',
  draft: 'brouillon',
  Created: 'Créée',
  Note: 'Note',
  'Roll back to version {v}': 'Revenir à la version {v}',
  'Rolled back: version {v} is published.': 'Retour effectué : la version {v} est publiée.',
  'Audit log': 'Journal d’audit',
  When: 'Quand',
  Who: 'Qui',
  What: 'Quoi',
  'grid.published': 'grille publiée',
  'grid.rolled_back': 'retour à une version',
  'grid.publish_requested': 'publication demandée',
  'grid.publish_approved': 'publication approuvée',
  'grid.publish_rejected': 'publication refusée',
  'workspace.publish_approval_enabled': 'règle des deux personnes activée',
  'workspace.publish_approval_disabled': 'règle des deux personnes désactivée',
  'connection.parked_retried': 'écritures en échec relancées',
  Approval: 'Approbation',
  'Two-person rule: a publish needs a second admin’s approval':
    'Règle des deux personnes : une publication doit être approuvée par un second administrateur',
  'No publish awaits approval.': 'Aucune publication n’attend d’approbation.',
  'asks to publish': 'demande à publier',
  'Another admin has to approve your request.': 'Un autre administrateur doit approuver votre demande.',
  'Approve and publish': 'Approuver et publier',
  Withdraw: 'Retirer',
  Reject: 'Refuser',
  'Sent for approval: another admin approves it under Versions & audit before it is published.':
    'Envoyé pour approbation : un autre administrateur l’approuve dans l’onglet Versions et journal avant sa publication.',
  'workspace.created': 'espace créé',
  'version {v}, restored from {r}': 'version {v}, restaurée depuis la {r}',
  // Contacts
  'Search by email or name': 'Rechercher par email ou nom',
  Search: 'Rechercher',
  'No contact found.': 'Aucun contact trouvé.',
  Score: 'Score',
  Band: 'Niveau',
  Grade: 'Note',
  MQL: 'MQL',
  'MQL since': 'MQL depuis',
  'not MQL': 'pas MQL',
  yes: 'oui',
  no: 'non',
  Fit: 'Profil',
  Engagement: 'Engagement',
  Reasons: 'Raisons',
  Contributions: 'Contributions',
  Rule: 'Règle',
  Evidence: 'Éléments',
  'Score over time': 'Évolution du score',
  'Event timeline': 'Chronologie des événements',
  'No event in the lookback.': 'Aucun événement récent.',
  'Not scored yet.': 'Pas encore évalué.',
  'Back to the search': 'Retour à la recherche',
  cold: 'froid',
  warm: 'tiède',
  hot: 'chaud',
  // Connections
  'CRM connections': 'Connexions CRM',
  'No CRM connected yet. Install Leadgrid from the HubSpot marketplace to connect a portal.':
    'Aucun CRM connecté. Installez Leadgrid depuis la place de marché HubSpot pour connecter un portail.',
  Account: 'Compte',
  'Token expires': 'Expiration du jeton',
  'Last webhook': 'Dernier webhook',
  'Write-back backlog': 'Écritures en attente',
  Parked: 'En échec',
  'Last error': 'Dernière erreur',
  never: 'jamais',
  'Tracking snippet': 'Script de suivi',
  'Paste this tag into every page of your website.': 'Collez cette balise dans chaque page de votre site.',
  Copy: 'Copier',
  Copied: 'Copié',
  'Last hit seen': 'Dernier passage vu',
  Provisioning: 'Installation',
  'Initial import': 'Import initial',
  'Imported: {n} contacts': 'Importés : {n} contacts',
  'Importing: {n} contacts so far': 'Import en cours : {n} contacts',
  Retry: 'Réessayer',
  'Retry the parked write-backs of {account}': 'Réessayer les écritures en échec de {account}',
  '{n} parked write-backs sent back to the queue.': '{n} écritures en échec remises dans la file.',
  'Connect another HubSpot account': 'Connecter un autre compte HubSpot',
  'Connect Pipedrive': 'Connecter Pipedrive',
  Actions: 'Actions',
  Disconnect: 'Déconnecter',
  'Disconnect account {account}': 'Déconnecter le compte {account}',
  'Disconnect {crm} account {account}? Scores stop being written there.':
    'Déconnecter le compte {crm} {account} ? Les scores n’y seront plus écrits.',
  '{crm} account {account} disconnected.': 'Compte {crm} {account} déconnecté.',
  // Calibration tab
  Calibration: 'Calibrage',
  'Contacts with an outcome': 'Contacts avec un résultat',
  Converted: 'Convertis',
  'MQLs at the threshold ({n})': 'MQL au seuil ({n})',
  Precision: 'Précision',
  Recall: 'Rappel',
  Why: 'Pourquoi',
  'Backtest on recorded outcomes (last 12 months)': 'Test sur les résultats enregistrés (12 derniers mois)',
  'No outcome recorded in the period yet: record outcomes (API, CSV import, CRM deals) to backtest.':
    'Aucun résultat enregistré sur la période : enregistrez des résultats (API, import CSV, affaires du CRM) pour tester.',
  'Conversion by score decile': 'Conversion par décile de score',
  'Converted (%)': 'Convertis (%)',
  'Conversion by band': 'Conversion par niveau',
  Lift: 'Gain',
  'False positives (MQL, never converted)': 'Faux positifs (MQL, jamais convertis)',
  'False negatives (converted, never MQL)': 'Faux négatifs (convertis, jamais MQL)',
  'Events as of each decision; profile properties are their current values.':
    'Événements à la date de chaque décision ; propriétés du profil à leur valeur actuelle.',
  'Suggested grid': 'Grille suggérée',
  'Points learnt from your own outcomes (logistic regression), checked on a quarter of the contacts held out.':
    'Points appris de vos propres résultats (régression logistique), vérifiés sur un quart des contacts mis de côté.',
  'Learning…': 'Apprentissage…',
  'Suggest from outcomes': 'Suggérer à partir des résultats',
  'Held-out contacts: current vs suggested': 'Contacts mis de côté : actuelle et suggérée',
  Current: 'Actuelle',
  Suggested: 'Suggérée',
  'Load as draft': 'Charger comme brouillon',
  'Champion / challenger': 'Champion / challenger',
  'No challenger. Try the draft in shadow: it is scored on live traffic, never written to the CRM.':
    'Aucun challenger. Essayez le brouillon en parallèle : il est calculé sur le trafic réel, jamais écrit dans le CRM.',
  'Try the draft as challenger': 'Essayer le brouillon comme challenger',
  'Challenger version {v} since {d}': 'Challenger version {v} depuis le {d}',
  'Same contacts, outcomes since the challenger started':
    'Mêmes contacts, résultats depuis le début du challenger',
  Champion: 'Champion',
  Challenger: 'Challenger',
  'MQLs now (live)': 'MQL actuels (en direct)',
  'Promote the challenger': 'Promouvoir le challenger',
  'Stop the challenger': 'Arrêter le challenger',
  'Funnel KPIs per grid version (last 12 months)':
    'Indicateurs du tunnel par version de grille (12 derniers mois)',
  'The grid has not been reviewed for {d} days.': 'La grille n’a pas été revue depuis {d} jours.',
  'Check it against recent outcomes, then publish a new version or mark it reviewed.':
    'Vérifiez-la sur les résultats récents, puis publiez une nouvelle version ou marquez-la comme revue.',
  'Mark reviewed': 'Marquer comme revue',
  'Last reviewed {d}': 'Dernière revue : {d}',
  Customers: 'Clients',
  customer: 'client',
  'Median time to first sales touch (h)': 'Délai médian avant le premier contact commercial (h)',
  'Median sales cycle (days)': 'Cycle de vente médian (jours)',
  'Deals created': 'Affaires créées',
  'Leads over threshold vs deals created': 'Leads au-dessus du seuil et affaires créées',
  'First sales touch: a meeting booked or held, or the SQL outcome, whichever comes first after the MQL moment.':
    'Premier contact commercial : un rendez-vous pris ou tenu, ou le passage en SQL, le premier des deux après le passage en MQL.',
  'Score decile (1 = highest)': 'Décile de score (1 = le plus haut)',
  Month: 'Mois',
  MQLs: 'MQL',
}

const dictionaries = { en: {}, fr }

export function initialLanguage() {
  const stored = globalThis.localStorage?.getItem(STORE)
  if (stored === 'en' || stored === 'fr') return stored
  const nav = (globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? 'en'])[0] ?? 'en'
  return String(nav).toLowerCase().startsWith('fr')
    ? 'fr'
    : document.documentElement.lang === 'fr'
      ? 'fr'
      : 'en'
}

export function rememberLanguage(lang) {
  globalThis.localStorage?.setItem(STORE, lang)
  document.documentElement.lang = lang
}

/** A translator for one language: t('Key {x}', { x }) with English as the fallback. */
export function translator(lang) {
  const dict = dictionaries[lang] ?? {}
  const numbers = new Intl.NumberFormat(lang)
  const dates = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' })
  const t = (key, vars) => {
    const text = dict[key] ?? key
    return vars ? text.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`)) : text
  }
  t.lang = lang
  t.number = (n) => (n === null || n === undefined ? '—' : numbers.format(n))
  t.date = (iso) => (iso ? dates.format(new Date(iso)) : t('never'))
  t.signed = (n) => (n > 0 ? `+${numbers.format(n)}` : n < 0 ? `\u2212${numbers.format(-n)}` : '0')
  return t
}
