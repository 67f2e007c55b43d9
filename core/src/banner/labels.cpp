#include "consent/banner/labels.hpp"

#include <algorithm>
#include <array>

namespace consent {
namespace {

constexpr std::size_t kLabelCount = 12;
using LabelRow = std::array<std::string_view, kLabelCount>;

struct LanguageLabels {
    std::string_view language;
    LabelRow labels;
};

// Order matches label_keys(). "Accept all" and "Reject all" are worded with the
// same weight on purpose (EDPB cookie-banner taskforce, 2023).
constexpr std::array<LanguageLabels, 6> kBuiltin{{
    {"en",
     {"Accept all", "Reject all", "Choose", "Save choices", "Privacy choices", "Always on",
      "Your browser's Global Privacy Control signal is honoured: selling or sharing is off.", "Back", "Privacy choices",
      "Privacy policy", "Download my receipts", "Delete my records"}},
    {"de",
     {"Alle akzeptieren", "Alle ablehnen", "Auswählen", "Auswahl speichern", "Datenschutz-Einstellungen", "Immer aktiv",
      "Das Global-Privacy-Control-Signal Ihres Browsers wird beachtet: Verkauf und Weitergabe sind aus.", "Zurück",
      "Datenschutz-Einstellungen", "Datenschutzerklärung", "Meine Belege herunterladen", "Meine Daten löschen"}},
    {"fr",
     {"Tout accepter", "Tout refuser", "Choisir", "Enregistrer mes choix", "Choix de confidentialité", "Toujours actif",
      "Le signal Global Privacy Control de votre navigateur est respecté : ni vente ni partage.", "Retour",
      "Choix de confidentialité", "Politique de confidentialité", "Télécharger mes reçus", "Supprimer mes données"}},
    {"es",
     {"Aceptar todo", "Rechazar todo", "Elegir", "Guardar selección", "Opciones de privacidad", "Siempre activo",
      "Se respeta la señal Global Privacy Control de su navegador: sin venta ni cesión.", "Volver",
      "Opciones de privacidad", "Política de privacidad", "Descargar mis recibos", "Eliminar mis datos"}},
    {"it",
     {"Accetta tutto", "Rifiuta tutto", "Scegli", "Salva le scelte", "Scelte sulla privacy", "Sempre attivo",
      "Il segnale Global Privacy Control del browser è rispettato: nessuna vendita o condivisione.", "Indietro",
      "Scelte sulla privacy", "Informativa sulla privacy", "Scarica le mie ricevute", "Elimina i miei dati"}},
    {"ar",
     {"قبول الكل", "رفض الكل", "اختيار", "حفظ الاختيارات", "خيارات الخصوصية", "مفعّل دائمًا",
      "يتم احترام إشارة التحكم العالمي في الخصوصية في متصفحك: لا بيع ولا مشاركة.", "رجوع", "خيارات الخصوصية",
      "سياسة الخصوصية", "تنزيل إيصالاتي", "حذف سجلاتي"}},
}};

std::string_view primary_subtag(std::string_view language) { return language.substr(0, language.find('-')); }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const char x = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
        const char y = (b[i] >= 'A' && b[i] <= 'Z') ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
        if (x != y) return false;
    }
    return true;
}

}  // namespace

std::string builtin_label(std::string_view language, std::string_view key) {
    const auto& keys = label_keys();
    const auto pos = std::find(keys.begin(), keys.end(), key);
    if (pos == keys.end()) return {};
    const auto index = static_cast<std::size_t>(pos - keys.begin());
    const auto primary = primary_subtag(language);
    for (const auto& row : kBuiltin)
        if (iequals(row.language, primary)) return std::string(row.labels[index]);
    return std::string(kBuiltin[0].labels[index]);
}

std::string_view text_direction(std::string_view language) noexcept {
    constexpr std::array<std::string_view, 8> rtl{"ar", "he", "fa", "ur", "ps", "sd", "yi", "dv"};
    const auto primary = primary_subtag(language);
    for (auto l : rtl)
        if (iequals(l, primary)) return "rtl";
    return "ltr";
}

}  // namespace consent
