// The staff page's elements and state: `ui` holds every element the page's modules use (by
// id), `state` the signed-in token, the reference data, the map and the provider being edited.

const $ = (id) => document.getElementById(id);

export const ui = {
  signin: $('signin'),
  signinForm: $('signin-form'),
  tokenInput: $('token-input'),
  signinError: $('signin-error'),
  who: $('who'),
  whoName: $('who-name'),
  whoRole: $('who-role'),
  signout: $('signout-button'),
  app: $('app'),
  searchForm: $('search-form'),
  searchQ: $('search-q'),
  searchStatus: $('search-status'),
  searchResults: $('search-results'),
  map: $('map'),
  mapStatus: $('map-status'),
  editorEmpty: $('editor-empty'),
  newButton: $('new-button'),
  newHint: $('new-hint'),
  quick: $('quick'),
  danger: $('danger'),
  historySection: $('history-section'),
  editor: $('editor'),
  title: $('editor-title'),
  meta: $('editor-meta'),
  status: $('status'),
  conflict: $('conflict'),
  conflictText: $('conflict-text'),
  conflictReapply: $('conflict-reapply'),
  conflictDiscard: $('conflict-discard'),
  deleted: $('deleted-notice'),
  deletedText: $('deleted-text'),
  restore: $('restore-button'),
  acceptCurrent: $('accept-current'),
  acceptYes: $('accept-yes'),
  acceptNo: $('accept-no'),
  acceptConsult: $('accept-consult'),
  acceptConfirm: $('accept-confirm'),
  acceptDetails: $('accept-details'),
  form: $('edit-form'),
  formError: $('form-error'),
  fields: $('fields'),
  dirty: $('dirty-notice'),
  save: $('save-button'),
  reset: $('reset-button'),
  del: $('delete-button'),
  delConfirm: $('delete-confirm'),
  delYes: $('delete-yes'),
  delNo: $('delete-no'),
  history: $('history'),
};

export const state = {
  token: null,
  /** @type {Map<string,string>} service code → label */
  serviceLabels: new Map(),
  serviceGroups: [],
  map: null,
  providerLayer: null,
  pin: null,
  /** The provider being edited: id, ETag, Feature as loaded, its form values; for a new
   * provider (「新規登録」) `isNew` with no id, ETag or Feature yet. */
  selected: null,
  /** The 412 answer waiting for the user's choice. */
  conflict: null,
  busy: false,
};
