// The words of "Delete my records", per language of the core's built-in labels
// (core/src/banner/labels.cpp), English for any other. They say plainly what is
// deleted and what remains (docs/erasure.md): the log keeps only a hash of each
// receipt, and an erasure receipt with no personal data says that it happened.
// {site} is the controller's name from the notice.

export const TEXTS = {
  en: {
    title: 'Delete my records',
    intro: 'This asks {site} to delete what its consent server keeps about the choices made in this browser, and makes this browser forget them too.',
    deleted_heading: 'What is deleted',
    deleted: [
      'Your choices and the signed receipts of them on the consent server.',
      'In this browser: its random id for you, its copies of your receipts, choices not sent yet, and your choices.',
    ],
    kept_heading: 'What remains',
    kept: [
      'In the public log, only a fingerprint (a hash) of each receipt. It names no one, and it keeps every proof handed out before valid.',
      'An erasure receipt saying that records were deleted, when and why. It contains no personal data.',
    ],
    after: 'This cannot be undone. Until you choose again, nothing that needs your consent runs; your next visit asks you again, under a new id.',
    confirm: 'Yes, delete my records',
    cancel: 'Cancel',
    working: 'Deleting your records…',
    done_title: 'Your records are deleted',
    done: 'The consent server deleted them, and this browser has forgotten them. You will be asked again on your next visit.',
    download: 'Download the erasure receipt',
    close: 'Close',
    offline: 'Nothing was deleted: the consent server could not be reached. Your choices are unchanged. Please try again later.',
    refused: 'Nothing was deleted: the consent server refused the request ({code}). Your choices are unchanged.',
    retry: 'Try again',
  },
  de: {
    title: 'Meine Daten löschen',
    intro: 'Damit bitten Sie {site}, alles zu löschen, was sein Einwilligungsserver über die in diesem Browser getroffenen Entscheidungen speichert; auch dieser Browser vergisst sie.',
    deleted_heading: 'Was gelöscht wird',
    deleted: [
      'Ihre Entscheidungen und die signierten Belege dazu auf dem Einwilligungsserver.',
      'In diesem Browser: seine zufällige Kennung für Sie, seine Kopien Ihrer Belege, noch nicht gesendete Entscheidungen und Ihre Auswahl.',
    ],
    kept_heading: 'Was bleibt',
    kept: [
      'Im öffentlichen Protokoll nur ein Fingerabdruck (ein Hash) jedes Belegs. Er nennt niemanden und hält jeden früher ausgegebenen Nachweis gültig.',
      'Ein Löschbeleg, der festhält, dass Daten gelöscht wurden, wann und warum. Er enthält keine personenbezogenen Daten.',
    ],
    after: 'Das lässt sich nicht rückgängig machen. Bis Sie neu wählen, läuft nichts, das Ihre Einwilligung braucht; beim nächsten Besuch werden Sie erneut gefragt, unter einer neuen Kennung.',
    confirm: 'Ja, meine Daten löschen',
    cancel: 'Abbrechen',
    working: 'Ihre Daten werden gelöscht…',
    done_title: 'Ihre Daten sind gelöscht',
    done: 'Der Einwilligungsserver hat sie gelöscht, und dieser Browser hat sie vergessen. Beim nächsten Besuch werden Sie erneut gefragt.',
    download: 'Löschbeleg herunterladen',
    close: 'Schließen',
    offline: 'Nichts wurde gelöscht: Der Einwilligungsserver war nicht erreichbar. Ihre Auswahl bleibt unverändert. Bitte versuchen Sie es später erneut.',
    refused: 'Nichts wurde gelöscht: Der Einwilligungsserver hat die Anfrage abgelehnt ({code}). Ihre Auswahl bleibt unverändert.',
    retry: 'Erneut versuchen',
  },
  fr: {
    title: 'Supprimer mes données',
    intro: 'Vous demandez à {site} de supprimer ce que son serveur de consentement conserve des choix faits dans ce navigateur ; ce navigateur les oublie aussi.',
    deleted_heading: 'Ce qui est supprimé',
    deleted: [
      'Vos choix et leurs reçus signés sur le serveur de consentement.',
      'Dans ce navigateur : son identifiant aléatoire pour vous, ses copies de vos reçus, les choix pas encore envoyés et vos choix.',
    ],
    kept_heading: 'Ce qui reste',
    kept: [
      'Dans le journal public, seulement une empreinte (un hash) de chaque reçu. Elle ne désigne personne et garde valides toutes les preuves déjà remises.',
      'Un reçu d’effacement indiquant que des données ont été supprimées, quand et pourquoi. Il ne contient aucune donnée personnelle.',
    ],
    after: 'C’est irréversible. Tant que vous n’avez pas choisi à nouveau, rien de ce qui demande votre consentement ne s’exécute ; votre prochaine visite vous le redemandera, sous un nouvel identifiant.',
    confirm: 'Oui, supprimer mes données',
    cancel: 'Annuler',
    working: 'Suppression de vos données…',
    done_title: 'Vos données sont supprimées',
    done: 'Le serveur de consentement les a supprimées et ce navigateur les a oubliées. Vos choix vous seront redemandés à votre prochaine visite.',
    download: 'Télécharger le reçu d’effacement',
    close: 'Fermer',
    offline: 'Rien n’a été supprimé : le serveur de consentement est injoignable. Vos choix sont inchangés. Veuillez réessayer plus tard.',
    refused: 'Rien n’a été supprimé : le serveur de consentement a refusé la demande ({code}). Vos choix sont inchangés.',
    retry: 'Réessayer',
  },
  es: {
    title: 'Eliminar mis datos',
    intro: 'Con esto pide a {site} que elimine lo que su servidor de consentimiento guarda sobre las decisiones tomadas en este navegador; este navegador también las olvida.',
    deleted_heading: 'Qué se elimina',
    deleted: [
      'Sus decisiones y sus recibos firmados en el servidor de consentimiento.',
      'En este navegador: su identificador aleatorio para usted, sus copias de los recibos, las decisiones aún no enviadas y su selección.',
    ],
    kept_heading: 'Qué queda',
    kept: [
      'En el registro público, solo una huella (un hash) de cada recibo. No identifica a nadie y mantiene válidas todas las pruebas entregadas antes.',
      'Un recibo de eliminación que indica que se eliminaron datos, cuándo y por qué. No contiene datos personales.',
    ],
    after: 'No se puede deshacer. Hasta que vuelva a elegir, no se ejecuta nada que necesite su consentimiento; en su próxima visita se le preguntará de nuevo, con un identificador nuevo.',
    confirm: 'Sí, eliminar mis datos',
    cancel: 'Cancelar',
    working: 'Eliminando sus datos…',
    done_title: 'Sus datos se han eliminado',
    done: 'El servidor de consentimiento los eliminó y este navegador los olvidó. En su próxima visita se le preguntará de nuevo.',
    download: 'Descargar el recibo de eliminación',
    close: 'Cerrar',
    offline: 'No se eliminó nada: no se pudo contactar con el servidor de consentimiento. Su selección no cambia. Inténtelo más tarde.',
    refused: 'No se eliminó nada: el servidor de consentimiento rechazó la solicitud ({code}). Su selección no cambia.',
    retry: 'Reintentar',
  },
  it: {
    title: 'Elimina i miei dati',
    intro: 'Chiedi a {site} di eliminare ciò che il suo server del consenso conserva sulle scelte fatte in questo browser; anche questo browser le dimentica.',
    deleted_heading: 'Cosa viene eliminato',
    deleted: [
      'Le tue scelte e le loro ricevute firmate sul server del consenso.',
      'In questo browser: il suo identificativo casuale per te, le copie delle tue ricevute, le scelte non ancora inviate e le tue scelte.',
    ],
    kept_heading: 'Cosa resta',
    kept: [
      'Nel registro pubblico, solo un’impronta (un hash) di ogni ricevuta. Non identifica nessuno e mantiene valida ogni prova già consegnata.',
      'Una ricevuta di cancellazione che attesta che dei dati sono stati eliminati, quando e perché. Non contiene dati personali.',
    ],
    after: 'Non si può annullare. Finché non scegli di nuovo, non viene eseguito nulla che richieda il tuo consenso; alla prossima visita ti verrà chiesto di nuovo, con un nuovo identificativo.',
    confirm: 'Sì, elimina i miei dati',
    cancel: 'Annulla',
    working: 'Eliminazione dei tuoi dati…',
    done_title: 'I tuoi dati sono stati eliminati',
    done: 'Il server del consenso li ha eliminati e questo browser li ha dimenticati. Alla prossima visita ti verrà chiesto di nuovo.',
    download: 'Scarica la ricevuta di cancellazione',
    close: 'Chiudi',
    offline: 'Non è stato eliminato nulla: il server del consenso non è raggiungibile. Le tue scelte non cambiano. Riprova più tardi.',
    refused: 'Non è stato eliminato nulla: il server del consenso ha rifiutato la richiesta ({code}). Le tue scelte non cambiano.',
    retry: 'Riprova',
  },
  ar: {
    title: 'حذف سجلاتي',
    intro: 'بهذا تطلب من {site} حذف ما يحفظه خادم الموافقة لديه عن الاختيارات التي تمت في هذا المتصفح، وينساها هذا المتصفح أيضًا.',
    deleted_heading: 'ما يُحذف',
    deleted: [
      'اختياراتك وإيصالاتها الموقّعة على خادم الموافقة.',
      'في هذا المتصفح: معرّفه العشوائي لك، ونسخ إيصالاتك، والاختيارات التي لم تُرسل بعد، واختياراتك.',
    ],
    kept_heading: 'ما يبقى',
    kept: [
      'في السجل العام، بصمة (تجزئة) لكل إيصال فقط. لا تدل على أحد، وتُبقي كل إثبات سُلّم من قبل صالحًا.',
      'إيصال حذف يذكر أن سجلات حُذفت، ومتى ولماذا. لا يحتوي على أي بيانات شخصية.',
    ],
    after: 'لا يمكن التراجع عن ذلك. إلى أن تختار من جديد لا يعمل شيء يحتاج إلى موافقتك، وستُسأل مجددًا في زيارتك القادمة بمعرّف جديد.',
    confirm: 'نعم، احذف سجلاتي',
    cancel: 'إلغاء',
    working: 'جارٍ حذف سجلاتك…',
    done_title: 'حُذفت سجلاتك',
    done: 'حذفها خادم الموافقة ونسيها هذا المتصفح. ستُسأل مجددًا في زيارتك القادمة.',
    download: 'تنزيل إيصال الحذف',
    close: 'إغلاق',
    offline: 'لم يُحذف شيء: تعذّر الوصول إلى خادم الموافقة. اختياراتك كما هي. يُرجى المحاولة لاحقًا.',
    refused: 'لم يُحذف شيء: رفض خادم الموافقة الطلب ({code}). اختياراتك كما هي.',
    retry: 'إعادة المحاولة',
  },
};

/** The texts for a language tag (its primary subtag), English when there are none. */
export function textsFor(language) {
  const primary = String(language || '').split('-')[0].toLowerCase();
  return TEXTS[primary] || TEXTS.en;
}
