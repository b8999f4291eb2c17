/* Words of the social map. They live in the message catalogs (src/veerkracht/i18n/locale/…,
   messages "web.*"); the server puts them in the page as window.I18N = {nl: {…}, en: {…}}. */
window.I18N = window.I18N || { nl: {}, en: {} };
window.t = function (key) {
  const lang = (window.APP && window.APP.state.lang) || "nl";
  return (window.I18N[lang] && window.I18N[lang][key]) || window.I18N.nl[key] || key;
};
