//! Every user-visible string of the status page, in English and French, and
//! the choice of language for a request.
//!
//! Each message is a match arm returning both translations at once, so a
//! message cannot exist in one language only: the compiler checks it.
//! Language choice: an explicit `?lang=` wins, else the best `Accept-Language`
//! entry we support (q-values honoured), else English.

use serde::Serialize;

/// A language the page is available in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English, the default.
    En,
    /// French.
    Fr,
}

impl Lang {
    /// All supported languages, in the order the switch lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// BCP 47 code used in `lang` attributes and `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The language's own name, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
        }
    }

    /// Parses a `?lang=` value. Case-insensitive; a region (`fr-CA`) is accepted
    /// and ignored. `None` for anything else.
    pub fn from_param(value: &str) -> Option<Lang> {
        let primary = value.split(['-', '_']).next().unwrap_or_default();
        Lang::from_primary_tag(primary)
    }

    fn from_primary_tag(tag: &str) -> Option<Lang> {
        if tag.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else if tag.eq_ignore_ascii_case("fr") {
            Some(Lang::Fr)
        } else {
            None
        }
    }

    /// Picks the language from an `Accept-Language` header value.
    ///
    /// The supported language with the highest q-value wins; on a tie the one
    /// listed first. `q=0` means "not acceptable". A `*` entry, malformed
    /// entries and unsupported languages fall back to English.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let Some(header) = accept_language else {
            return Lang::En;
        };
        let mut best: Option<(Lang, u16)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let mut quality = Some(1000u16);
            for param in parts {
                let param = param.trim();
                if let Some(value) = param.strip_prefix("q=").or(param.strip_prefix("Q=")) {
                    quality = parse_quality(value.trim());
                }
            }
            let Some(quality) = quality else { continue };
            if quality == 0 {
                continue;
            }
            let primary = tag.split('-').next().unwrap_or_default();
            let Some(lang) = Lang::from_primary_tag(primary) else {
                continue;
            };
            if best.is_none_or(|(_, q)| quality > q) {
                best = Some((lang, quality));
            }
        }
        best.map_or(Lang::En, |(lang, _)| lang)
    }

    /// A colon as this language's typography wants it before a value:
    /// "Site:" in English, "Site :" (non-breaking space) in French.
    pub fn colon(self) -> &'static str {
        match self {
            Lang::En => ":",
            Lang::Fr => "\u{a0}:",
        }
    }

    /// The text of `msg` in this language.
    pub fn tr(self, msg: Msg) -> &'static str {
        let (en, fr) = msg.texts();
        match self {
            Lang::En => en,
            Lang::Fr => fr,
        }
    }
}

/// Parses an RFC 9110 qvalue (`0`, `0.5`, `1.000`) into thousandths.
/// `None` when malformed, so the entry is ignored rather than trusted.
fn parse_quality(value: &str) -> Option<u16> {
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0u16,
        "1" => 1000u16,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        let digit = u16::from(b - b'0');
        thousandths += digit * [100, 10, 1][i];
    }
    let q = whole + thousandths;
    (q <= 1000).then_some(q)
}

/// A user-visible message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Msg {
    Title,
    Gateway,
    Version,
    Updated,
    AutoRefresh,
    Stale,
    Language,
    Summary,
    PrintersCount,
    ReachableCount,
    Uplink,
    Connected,
    Disconnected,
    Broker,
    Outbox,
    OldestWaiting,
    LevelsThinned,
    LevelsDropped,
    LastSent,
    Never,
    OrdersWaiting,
    PrintersHeading,
    NoPrinters,
    Serial,
    Model,
    Address,
    Site,
    Contact,
    LastSeen,
    PageCount,
    Reachable,
    Unreachable,
    ReadOverIpp,
    ReadOverIppLong,
    ProtocolLabel,
    ProtocolAuto,
    ProtocolSnmp,
    ProtocolIpp,
    LastError,
    Supplies,
    Supply,
    Level,
    Forecast,
    ForecastEmpty,
    ForecastFull,
    AtEarliest,
    Spares,
    OnSite,
    InTransit,
    NoSupplies,
    NoForecast,
    SomeRemaining,
    Unknown,
    OutOfRange,
    OutOfRangeHelp,
    Approximate,
    SpaceLeft,
    Low,
    Empty,
    AlmostFull,
    Full,
    OrdersHeading,
    NoOrders,
    Order,
    Created,
    Status,
    StatusWaiting,
    StatusSent,
    StatusAccepted,
    StatusShipped,
    StatusPartlyDelivered,
    StatusDelivered,
    StatusCancelled,
    Tracking,
    LinkError,
    Printer,
    Quantity,
    PredictedEmpty,
    NotFoundTitle,
    NotFoundBody,
    BackToStatus,
    UnavailableTitle,
    UnavailableBody,
    MethodNotAllowedTitle,
    MethodNotAllowedBody,
    BadRequestTitle,
    SkipToPrinters,
    Footer,
    Filter,
    FilterHint,
    DaysToEmpty,
    ShownOf,
    Details,
    History,
    HistoryEmpty,
    ChartReadings,
    ChartForecast,
    ChartBand,
    ChartSwap,
    ChartEarlySwap,
    LeftAtSwap,
    Eligibility,
    Eligible,
    IneligibleExcluded,
    IneligibleNoSite,
    IneligibleBlind,
    Registration,
    PostalAddress,
    ContactEmail,
    ContactPhone,
    ExcludedLabel,
    Save,
    Saved,
    NotSaved,
    StaleForm,
    BackToOverview,
    PrinterNotFound,
    AllOrders,
    AllStatuses,
    EligibleCount,
    AlertsHeading,
    NoAlerts,
    Acknowledge,
    Acknowledged,
    AlertSilent,
    AlertBack,
    AlertPoweroff,
    AlertEarly,
    AlertSpike,
    TonerWasted,
    TimesUsual,
    OpenAlerts,
    Overview,
    OrderNowHeading,
    OrderNowIntro,
    OrderOne,
    Ordered,
    Since,
    GatewayHealth,
    LastPoll,
    DiskFree,
    ClockLabel,
    SetUp,
    StorageProblem,
    StorageAdvice,
    ClockSynced,
    ClockNotSynced,
    Uptime,
    AlertsCount,
    RegistrationHeading,
    RegistrationIntro,
    NothingToRegister,
    AssignedHeading,
    Forget,
    ForgetHint,
    Forgotten,
    Edit,
    SettingsHeading,
    PollingHeading,
    PollInterval,
    PollIntervalHint,
    SnmpHeading,
    SnmpIntro,
    SnmpDefault,
    SnmpVersion,
    Community,
    SnmpUser,
    AuthProto,
    AuthPass,
    PrivProto,
    PrivPass,
    SecretSet,
    SecretUnset,
    ScopedCredentials,
    Scope,
    AddCredentials,
    Remove,
    NoScoped,
    CloudHeading,
    CloudReadOnly,
    PasswordHeading,
    CurrentPassword,
    NewPassword,
    ConfirmPassword,
    ChangePassword,
    PasswordChanged,
    PasswordFromFile,
    SettingsSaved,
    TransportLabel,
    ClientId,
    UserName,
    TlsLabel,
    Yes,
    No,
    TimeZoneNote,
    PageCounter,
    PagesPerDay,
    OrdersAndDeliveries,
    CatalogHeading,
    CatalogIntro,
    NoCatalog,
    CatalogUnreadable,
    CatalogScopeFleet,
    CatalogScopeGateway,
    Supplier,
    Issued,
    Received,
    CatalogEntries,
    WithPartNumbers,
    WithRatedYield,
    WithLearnedLife,
    PartNumber,
    RatedYield,
    LearnedLife,
    PagesN,
    LearnedMedian,
    CartridgesOne,
    CartridgesMany,
    SitesOne,
    SitesMany,
    MoreEntries,
    LifeHeading,
    LifeIntro,
    LifeApprox,
    LifeFromPrinter,
    LifeFromSite,
    LifeFromCatalogLearned,
    LifeFromCatalogRated,
    LifeFromSibling,
    LifeFromStated,
}

impl Msg {
    /// `(English, French)`.
    fn texts(self) -> (&'static str, &'static str) {
        use Msg::*;
        match self {
            Title => ("Printer supplies", "Consommables des imprimantes"),
            Gateway => ("Gateway", "Passerelle"),
            Version => ("Version", "Version"),
            Updated => ("Updated", "Mis à jour"),
            AutoRefresh => (
                "This page refreshes every 10 seconds.",
                "Cette page s’actualise toutes les 10 secondes.",
            ),
            Stale => (
                "The gateway is not answering: the data below may be out of date.",
                "La passerelle ne répond pas : les données ci-dessous peuvent être périmées.",
            ),
            Language => ("Language", "Langue"),
            Summary => ("Summary", "Résumé"),
            PrintersCount => ("Printers", "Imprimantes"),
            ReachableCount => ("Reachable", "Joignables"),
            Uplink => ("Cloud link", "Liaison avec le cloud"),
            Connected => ("Connected", "Connectée"),
            Disconnected => ("Disconnected", "Déconnectée"),
            Broker => ("Broker", "Serveur MQTT"),
            Outbox => ("Queued messages", "Messages en attente"),
            OldestWaiting => ("Oldest waiting", "Le plus ancien en attente"),
            LevelsThinned => (
                "Level readings merged to save space",
                "Relevés de niveau regroupés pour gagner de la place",
            ),
            LevelsDropped => ("dropped", "supprimés"),
            LastSent => ("Last sent", "Dernier envoi"),
            Never => ("never", "jamais"),
            OrdersWaiting => ("Orders waiting", "Commandes en attente"),
            PrintersHeading => ("Printers", "Imprimantes"),
            NoPrinters => (
                "No printer found yet. Discovery keeps running in the background.",
                "Aucune imprimante trouvée pour l’instant. La découverte continue en arrière-plan.",
            ),
            Serial => ("Serial number", "Numéro de série"),
            Model => ("Model", "Modèle"),
            Address => ("Address", "Adresse"),
            Site => ("Site", "Site"),
            Contact => ("Contact", "Contact"),
            LastSeen => ("Last seen", "Dernier contact"),
            PageCount => ("Page count", "Compteur de pages"),
            Reachable => ("Reachable", "Joignable"),
            Unreachable => ("Unreachable", "Injoignable"),
            ProtocolLabel => ("Read over", "Lecture par"),
            ProtocolAuto => (
                "automatic (SNMP, else IPP)",
                "automatique (SNMP, sinon IPP)",
            ),
            ProtocolSnmp => ("SNMP only", "SNMP seulement"),
            ProtocolIpp => ("IPP only (SNMP off)", "IPP seulement (SNMP désactivé)"),
            ReadOverIppLong => (
                "This printer does not answer SNMP: its supplies are read over IPP.",
                "Cette imprimante ne répond pas en SNMP : ses consommables sont lus par IPP.",
            ),
            ReadOverIpp => (
                "read over IPP (SNMP does not answer)",
                "lue par IPP (SNMP ne répond pas)",
            ),
            LastError => ("Last error", "Dernière erreur"),
            Supplies => ("Supplies", "Consommables"),
            Supply => ("Supply", "Consommable"),
            Level => ("Level", "Niveau"),
            Forecast => ("Forecast", "Prévision"),
            ForecastEmpty => ("Empty", "Vide le"),
            ForecastFull => ("Full", "Plein le"),
            AtEarliest => ("at the earliest", "au plus tôt"),
            Spares => ("Spares", "Stock"),
            OnSite => ("on site", "sur site"),
            InTransit => ("in transit", "en livraison"),
            NoSupplies => (
                "The printer reports no supplies.",
                "L’imprimante ne signale aucun consommable.",
            ),
            NoForecast => ("Not enough data yet", "Pas encore assez de données"),
            SomeRemaining => ("Some remaining", "Encore disponible"),
            Unknown => ("Unknown", "Inconnu"),
            OutOfRange => ("out of range", "hors plage"),
            OutOfRangeHelp => (
                "The printer reported a level outside its capacity; the bar is clamped.",
                "L’imprimante a signalé un niveau hors de sa capacité ; la barre est plafonnée.",
            ),
            Approximate => ("approximate", "approximatif"),
            SpaceLeft => ("Space left", "Espace libre"),
            Low => ("Low", "Bas"),
            Empty => ("Empty", "Vide"),
            AlmostFull => ("Almost full", "Presque plein"),
            Full => ("Full", "Plein"),
            OrdersHeading => ("Orders", "Commandes"),
            NoOrders => ("No order in progress.", "Aucune commande en cours."),
            Order => ("Order", "Commande"),
            Created => ("Created", "Créée le"),
            Status => ("Status", "État"),
            StatusWaiting => ("Waiting to be sent", "En attente d’envoi"),
            StatusSent => ("Sent", "Envoyée"),
            StatusAccepted => ("Accepted by the supplier", "Acceptée par le fournisseur"),
            StatusShipped => ("Shipped", "Expédiée"),
            StatusPartlyDelivered => ("Partly delivered", "Livrée en partie"),
            StatusDelivered => ("Delivered", "Livrée"),
            StatusCancelled => ("Cancelled", "Annulée"),
            Tracking => ("Tracking", "Suivi"),
            LinkError => ("Why", "Cause"),
            Printer => ("Printer", "Imprimante"),
            Quantity => ("Quantity", "Quantité"),
            PredictedEmpty => ("Predicted empty", "Épuisement prévu"),
            NotFoundTitle => ("Page not found", "Page introuvable"),
            NotFoundBody => (
                "There is nothing at this address.",
                "Il n’y a rien à cette adresse.",
            ),
            BackToStatus => ("Back to the status page", "Retour à la page d’état"),
            UnavailableTitle => (
                "Status temporarily unavailable",
                "État momentanément indisponible",
            ),
            UnavailableBody => (
                "The gateway could not read its status. This page retries automatically.",
                "La passerelle n’a pas pu lire son état. Cette page réessaie automatiquement.",
            ),
            MethodNotAllowedTitle => ("Method not allowed", "Méthode non autorisée"),
            MethodNotAllowedBody => (
                "This address only answers GET (and HEAD) requests.",
                "Cette adresse ne répond qu’aux requêtes GET (et HEAD).",
            ),
            BadRequestTitle => ("Bad request", "Requête invalide"),
            SkipToPrinters => ("Skip to the printers", "Aller aux imprimantes"),
            Footer => (
                "Automatic supplies replenishment gateway",
                "Passerelle de réapprovisionnement automatique des consommables",
            ),
            Filter => ("Filter", "Filtrer"),
            FilterHint => (
                "Serial, model, site, contact or address",
                "Numéro de série, modèle, site, contact ou adresse",
            ),
            DaysToEmpty => ("Days to empty", "Jours avant épuisement"),
            ShownOf => ("shown of", "affichées sur"),
            Details => ("Details", "Détails"),
            History => ("Level history", "Historique des niveaux"),
            HistoryEmpty => (
                "Not enough readings yet to draw a history.",
                "Pas encore assez de relevés pour tracer un historique.",
            ),
            ChartReadings => ("readings", "relevés"),
            ChartForecast => ("median forecast", "prévision médiane"),
            ChartBand => ("pessimistic band", "marge pessimiste"),
            ChartSwap => ("cartridge swap", "changement de cartouche"),
            ChartEarlySwap => ("early swap", "changement prématuré"),
            LeftAtSwap => ("left at the swap", "restant au changement"),
            Eligibility => ("Automatic ordering", "Commande automatique"),
            Eligible => (
                "Supplies are ordered automatically.",
                "Les consommables sont commandés automatiquement.",
            ),
            IneligibleExcluded => (
                "Not ordered: excluded from automatic ordering.",
                "Pas de commande : exclue de la commande automatique.",
            ),
            IneligibleNoSite => (
                "Not ordered: no site or contact.",
                "Pas de commande : aucun site ou contact.",
            ),
            IneligibleBlind => (
                "Not ordered: level unknown and no page counter.",
                "Pas de commande : niveau inconnu et pas de compteur de pages.",
            ),
            Registration => ("Delivery details", "Coordonnées de livraison"),
            PostalAddress => ("Postal address", "Adresse postale"),
            ContactEmail => ("Contact e-mail", "E-mail du contact"),
            ContactPhone => ("Contact phone", "Téléphone du contact"),
            ExcludedLabel => (
                "Exclude from automatic ordering",
                "Exclure de la commande automatique",
            ),
            Save => ("Save", "Enregistrer"),
            Saved => (
                "Saved: the change is applied and sent to the supplier.",
                "Enregistré : la modification est appliquée et transmise au fournisseur.",
            ),
            NotSaved => ("Not saved", "Non enregistré"),
            StaleForm => (
                "This form has expired: please submit it again.",
                "Ce formulaire a expiré : veuillez le renvoyer.",
            ),
            BackToOverview => ("All printers", "Toutes les imprimantes"),
            PrinterNotFound => (
                "No printer has this serial number.",
                "Aucune imprimante n’a ce numéro de série.",
            ),
            AllOrders => ("All orders", "Toutes les commandes"),
            AllStatuses => ("All", "Toutes"),
            EligibleCount => ("Ordered automatically", "Commandées automatiquement"),
            AlertsHeading => ("Alerts", "Alertes"),
            NoAlerts => ("No alerts.", "Aucune alerte."),
            Acknowledge => ("Acknowledge", "J’ai vu"),
            Acknowledged => ("Acknowledged", "Vue"),
            AlertSilent => (
                "Stopped communicating. Keep the printer powered on and connected: without its readings, supplies cannot be ordered in time.",
                "Ne communique plus. Laissez l’imprimante allumée et connectée : sans ses relevés, les consommables ne peuvent pas être commandés à temps.",
            ),
            AlertBack => ("Communicating again.", "Communique de nouveau."),
            AlertPoweroff => (
                "Switched off at night or at weekends: leave it on so its supplies can be followed.",
                "Éteinte la nuit ou le week-end : laissez-la allumée pour que ses consommables soient suivis.",
            ),
            AlertEarly => (
                "Cartridge replaced early: replace a cartridge only when the printer says it is empty.",
                "Cartouche remplacée trop tôt : ne remplacez une cartouche que lorsque l’imprimante la dit vide.",
            ),
            AlertSpike => (
                "Unusual print volume: if it lasts, tell your supplier.",
                "Volume d’impression inhabituel : s’il dure, prévenez votre fournisseur.",
            ),
            TonerWasted => (
                "toner left in the cartridge taken out",
                "de toner restant dans la cartouche retirée",
            ),
            TimesUsual => ("times the usual day", "fois la journée habituelle"),
            OpenAlerts => ("open", "ouvertes"),
            Overview => ("Overview", "Vue d’ensemble"),
            OrderNowHeading => ("Order now", "Commander maintenant"),
            OrderNowIntro => (
                "Need a cartridge sooner than planned? It goes out with the next shipment to this site and contact.",
                "Besoin d’une cartouche plus tôt que prévu ? Elle part avec la prochaine expédition vers ce site et ce contact.",
            ),
            OrderOne => ("Order one now", "En commander une maintenant"),
            Ordered => (
                "Ordered: it goes out with the next shipment, marked as asked for by hand.",
                "Commandé : elle part avec la prochaine expédition, marquée comme demandée à la main.",
            ),
            Since => ("Since", "Depuis"),
            GatewayHealth => ("Gateway", "Passerelle"),
            LastPoll => (
                "Last answer from a printer",
                "Dernière réponse d’une imprimante",
            ),
            DiskFree => ("Disk free", "Espace disque libre"),
            ClockLabel => ("Clock", "Horloge"),
            SetUp => ("Set-up", "Mise en service"),
            StorageProblem => ("Storage problem", "Problème de stockage"),
            StorageAdvice => (
                "Polls are not stored for now; orders and alerts still go out. Free space on the gateway's card, or replace the card.",
                "Les relevés ne sont plus enregistrés pour l'instant ; les commandes et les alertes partent toujours. Libérez de la place sur la carte de la passerelle ou remplacez la carte.",
            ),
            ClockSynced => ("synchronised", "synchronisée"),
            ClockNotSynced => (
                "not synchronised: dates may be wrong",
                "non synchronisée : les dates peuvent être fausses",
            ),
            Uptime => ("Running for", "En marche depuis"),
            AlertsCount => ("Open alerts", "Alertes ouvertes"),
            RegistrationHeading => ("Registration", "Enregistrement"),
            RegistrationIntro => (
                "Printers found on the network that have no site or contact yet: nothing is ordered for them until they have both. Give each one where its supplies go and who receives them, or exclude it.",
                "Imprimantes trouvées sur le réseau qui n’ont pas encore de site ou de contact : rien n’est commandé pour elles tant qu’elles n’ont pas les deux. Indiquez pour chacune où livrer ses consommables et qui les reçoit, ou excluez-la.",
            ),
            NothingToRegister => (
                "Every printer found has a site and a contact.",
                "Toutes les imprimantes trouvées ont un site et un contact.",
            ),
            AssignedHeading => ("Assigned printers", "Imprimantes attribuées"),
            Forget => ("Forget this printer", "Oublier cette imprimante"),
            ForgetHint => (
                "Its record and history are deleted; it comes back as a new printer if it still answers.",
                "Sa fiche et son historique sont supprimés ; elle revient comme une nouvelle imprimante si elle répond encore.",
            ),
            Forgotten => ("Printer forgotten.", "Imprimante oubliée."),
            Edit => ("Edit", "Modifier"),
            SettingsHeading => ("Settings", "Réglages"),
            PollingHeading => ("Polling", "Interrogation"),
            PollInterval => (
                "Time between two polls of a printer",
                "Intervalle entre deux interrogations d’une imprimante",
            ),
            PollIntervalHint => (
                "e.g. 15m, 1h (1 minute to 1 day)",
                "p. ex. 15m, 1h (1 minute à 1 jour)",
            ),
            SnmpHeading => ("SNMP credentials", "Identifiants SNMP"),
            SnmpIntro => (
                "Secrets are never shown back: leave a field empty to keep what is set. The default credentials are tried on every printer; extra ones apply to one printer address or a subnet and are tried first there.",
                "Les secrets ne sont jamais réaffichés : laissez un champ vide pour garder la valeur actuelle. Les identifiants par défaut sont essayés sur toutes les imprimantes ; les autres s’appliquent à une adresse ou à un sous-réseau et y sont essayés d’abord.",
            ),
            SnmpDefault => ("Default credentials", "Identifiants par défaut"),
            SnmpVersion => ("SNMP version", "Version SNMP"),
            Community => ("Community", "Communauté"),
            SnmpUser => ("User (v3)", "Utilisateur (v3)"),
            AuthProto => ("Authentication protocol", "Protocole d’authentification"),
            AuthPass => (
                "Authentication pass phrase",
                "Phrase secrète d’authentification",
            ),
            PrivProto => ("Privacy protocol", "Protocole de chiffrement"),
            PrivPass => ("Privacy pass phrase", "Phrase secrète de chiffrement"),
            SecretSet => ("set", "défini"),
            SecretUnset => ("not set", "non défini"),
            ScopedCredentials => (
                "Credentials for a printer or subnet",
                "Identifiants pour une imprimante ou un sous-réseau",
            ),
            Scope => (
                "Printer address or subnet (e.g. 192.168.10.21 or 192.168.10.0/24)",
                "Adresse d’imprimante ou sous-réseau (p. ex. 192.168.10.21 ou 192.168.10.0/24)",
            ),
            AddCredentials => ("Add", "Ajouter"),
            Remove => ("Remove", "Supprimer"),
            NoScoped => ("None yet.", "Aucun pour l’instant."),
            CloudHeading => ("Cloud link", "Liaison avec le cloud"),
            CloudReadOnly => (
                "Set in the configuration file by the supplier; shown without secrets.",
                "Réglée dans le fichier de configuration par le fournisseur ; affichée sans les secrets.",
            ),
            PasswordHeading => ("Admin password", "Mot de passe administrateur"),
            CurrentPassword => ("Current password", "Mot de passe actuel"),
            NewPassword => (
                "New password (at least 10 characters)",
                "Nouveau mot de passe (au moins 10 caractères)",
            ),
            ConfirmPassword => ("New password again", "Nouveau mot de passe, à nouveau"),
            ChangePassword => ("Change the password", "Changer le mot de passe"),
            PasswordChanged => (
                "Password changed. Other sessions were signed out.",
                "Mot de passe changé. Les autres sessions ont été fermées.",
            ),
            PasswordFromFile => (
                "The password is set in the configuration file ([http] admin_password_hash): change it there.",
                "Le mot de passe est défini dans le fichier de configuration ([http] admin_password_hash) : changez-le là.",
            ),
            SettingsSaved => ("Saved and applied.", "Enregistré et appliqué."),
            TransportLabel => ("Transport", "Transport"),
            ClientId => ("Client id", "Identifiant client"),
            UserName => ("User name", "Nom d’utilisateur"),
            TlsLabel => ("TLS", "TLS"),
            Yes => ("yes", "oui"),
            No => ("no", "non"),
            TimeZoneNote => ("times in your time zone:", "heures dans votre fuseau :"),
            PageCounter => ("Page counter", "Compteur de pages"),
            PagesPerDay => (
                "About {n} pages a day over the last 30 days. Expecting much more soon? Tell your supplier.",
                "Environ {n} pages par jour sur les 30 derniers jours. Beaucoup plus à venir ? Prévenez votre fournisseur.",
            ),
            OrdersAndDeliveries => ("Orders and deliveries", "Commandes et livraisons"),
            CatalogHeading => ("Supplier catalogue", "Catalogue fournisseur"),
            CatalogIntro => (
                "Part numbers and cartridge lives the supplier publishes over the cloud link. Forecasts use them until this site's printers have shown what a cartridge lasts; orders name the first part number. This gateway's own catalogue wins over the one for every gateway for the supplies it names.",
                "Références et durées de vie des cartouches que le fournisseur publie par la liaison avec le cloud. Les prévisions s’en servent tant que les imprimantes du site n’ont pas montré ce que dure une cartouche ; les commandes indiquent la première référence. Le catalogue propre à cette passerelle l’emporte sur celui de toutes les passerelles pour les consommables qu’il cite.",
            ),
            NoCatalog => (
                "No catalogue received yet: the supplier publishes it on {topic}. Until then, forecasts rest on the printers' own history and cautious figures.",
                "Aucun catalogue reçu pour l’instant : le fournisseur le publie sur {topic}. D’ici là, les prévisions reposent sur l’historique des imprimantes et sur des valeurs prudentes.",
            ),
            CatalogUnreadable => (
                "The catalogue cannot be read now",
                "Le catalogue est illisible pour l’instant",
            ),
            CatalogScopeFleet => ("For every gateway", "Pour toutes les passerelles"),
            CatalogScopeGateway => ("For this gateway only", "Pour cette passerelle seulement"),
            Supplier => ("Supplier", "Fournisseur"),
            Issued => ("Issued", "Publié le"),
            Received => ("Received", "Reçu le"),
            CatalogEntries => ("Entries", "Entrées"),
            WithPartNumbers => ("With part numbers", "Avec références"),
            WithRatedYield => ("With rated yield", "Avec rendement annoncé"),
            WithLearnedLife => ("With learned life", "Avec durée mesurée"),
            PartNumber => ("Part number", "Référence"),
            RatedYield => ("Rated yield", "Rendement annoncé"),
            LearnedLife => ("Learned life (median)", "Durée mesurée (médiane)"),
            PagesN => ("{n} pages", "{n} pages"),
            LearnedMedian => (
                "{n} pages ({cartridges}, {sites})",
                "{n} pages ({cartridges}, {sites})",
            ),
            CartridgesOne => ("1 cartridge", "1 cartouche"),
            CartridgesMany => ("{n} cartridges", "{n} cartouches"),
            SitesOne => ("1 site", "1 site"),
            SitesMany => ("{n} sites", "{n} sites"),
            MoreEntries => (
                "… and {n} more: the whole catalogue is at {link}.",
                "… et {n} de plus : le catalogue complet est sur {link}.",
            ),
            LifeHeading => ("Cartridge life", "Durée de vie des cartouches"),
            LifeIntro => (
                "Pages a cartridge lasts, as the forecast reckons it, and where the figure comes from.",
                "Pages que dure une cartouche, selon la prévision, et d’où vient ce chiffre.",
            ),
            LifeApprox => ("≈ {n} pages", "≈ {n} pages"),
            LifeFromPrinter => ("measured on this printer", "mesurée sur cette imprimante"),
            LifeFromSite => (
                "measured on this model's other printers on the site",
                "mesurée sur les autres imprimantes de ce modèle du site",
            ),
            LifeFromCatalogLearned => (
                "supplier catalogue, learned across the supplier's sites",
                "catalogue fournisseur, mesurée sur les sites du fournisseur",
            ),
            LifeFromCatalogRated => (
                "supplier catalogue, rated yield",
                "catalogue fournisseur, rendement annoncé",
            ),
            LifeFromSibling => (
                "estimated from this printer's black toner, until this colour is measured",
                "estimée d’après le toner noir de cette imprimante, en attendant de mesurer cette couleur",
            ),
            LifeFromStated => (
                "a cautious figure for this kind of supply: nothing better is known yet",
                "valeur prudente pour ce type de consommable : rien de mieux n’est encore connu",
            ),
        }
    }
}

/// The 400 message for an unsupported `?lang=` value (shown truncated).
pub fn bad_lang_message(lang: Lang, value: &str) -> String {
    let shown: String = value.chars().take(40).collect();
    match lang {
        Lang::En => format!(
            "Unsupported language \"{shown}\" in ?lang=. Use ?lang=en (English) or ?lang=fr (French)."
        ),
        Lang::Fr => format!(
            "Langue non prise en charge « {shown} » dans ?lang=. Utilisez ?lang=fr (français) ou ?lang=en (anglais)."
        ),
    }
}

/// The 400 message for `?lang=` given more than once.
pub fn repeated_lang_message(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "The lang parameter is given more than once; give it once (?lang=en or ?lang=fr)."
        }
        Lang::Fr => {
            "Le paramètre lang est donné plusieurs fois ; donnez-le une seule fois (?lang=fr ou ?lang=en)."
        }
    }
}

/// The 400 message for a query string that cannot be decoded.
pub fn bad_query_message(lang: Lang, reason: &str) -> String {
    match lang {
        Lang::En => format!("The query string cannot be read: {reason}"),
        Lang::Fr => format!("La chaîne de requête est illisible : {reason}"),
    }
}

/// The colour name shown for a colorant reported by the printer; unknown
/// names are shown as reported.
pub fn colorant_name(lang: Lang, colorant: &str) -> String {
    let known = match colorant_family(colorant) {
        Some(Colorant::Black) => Some(("Black", "Noir")),
        Some(Colorant::Cyan) => Some(("Cyan", "Cyan")),
        Some(Colorant::Magenta) => Some(("Magenta", "Magenta")),
        Some(Colorant::Yellow) => Some(("Yellow", "Jaune")),
        None => None,
    };
    match known {
        // Only translate exact family names; "photo black" stays as reported.
        Some((en, fr)) if is_plain_colour(colorant) => match lang {
            Lang::En => en.to_owned(),
            Lang::Fr => fr.to_owned(),
        },
        _ => colorant.to_owned(),
    }
}

fn is_plain_colour(colorant: &str) -> bool {
    let c = colorant.trim().to_ascii_lowercase();
    matches!(
        c.as_str(),
        "black" | "cyan" | "magenta" | "yellow" | "k" | "c" | "m" | "y"
    )
}

/// The four process colours, used to colour the bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colorant {
    /// K.
    Black,
    /// C.
    Cyan,
    /// M.
    Magenta,
    /// Y.
    Yellow,
}

/// Which process colour a printer's colorant name belongs to, if any
/// ("light cyan" is cyan, "matte black" is black).
pub fn colorant_family(colorant: &str) -> Option<Colorant> {
    let c = colorant.trim().to_ascii_lowercase();
    if c.contains("black") || c == "k" {
        Some(Colorant::Black)
    } else if c.contains("cyan") || c == "c" {
        Some(Colorant::Cyan)
    } else if c.contains("magenta") || c == "m" {
        Some(Colorant::Magenta)
    } else if c.contains("yellow") || c == "y" {
        Some(Colorant::Yellow)
    } else {
        None
    }
}

/// A readable name for an RFC 3805 supply type; unknown types are shown as
/// reported.
pub fn kind_name(lang: Lang, kind: &str) -> String {
    let pair = match kind {
        "toner" => ("Toner", "Toner"),
        "wasteToner" => ("Waste toner", "Récupérateur de toner"),
        "ink" | "inkCartridge" => ("Ink", "Encre"),
        "wasteInk" => ("Waste ink", "Récupérateur d’encre"),
        "opc" => ("Drum", "Tambour"),
        "developer" => ("Developer", "Développeur"),
        "fuser" | "fuserKit" => ("Fuser", "Unité de fusion"),
        "transferUnit" => ("Transfer unit", "Unité de transfert"),
        "cleanerUnit" => ("Cleaning unit", "Unité de nettoyage"),
        "staples" => ("Staples", "Agrafes"),
        "tonerCartridge" => ("Toner cartridge", "Cartouche de toner"),
        "ribbonWax" | "ribbon" => ("Ribbon", "Ruban"),
        "maintenanceKit" => ("Maintenance kit", "Kit de maintenance"),
        "other" => ("Other", "Autre"),
        "unknown" => ("Unknown", "Inconnu"),
        _ => return kind.to_owned(),
    };
    match lang {
        Lang::En => pair.0.to_owned(),
        Lang::Fr => pair.1.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_defaults_to_english() {
        assert_eq!(Lang::negotiate(None), Lang::En);
        assert_eq!(Lang::negotiate(Some("")), Lang::En);
        assert_eq!(Lang::negotiate(Some("de-DE, es;q=0.9")), Lang::En);
        assert_eq!(Lang::negotiate(Some("*")), Lang::En);
        assert_eq!(Lang::negotiate(Some("garbage;;;,,")), Lang::En);
    }

    #[test]
    fn negotiation_honours_q_values() {
        assert_eq!(Lang::negotiate(Some("fr-FR,fr;q=0.9,en;q=0.8")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("en;q=0.5, fr;q=0.8")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("fr;q=0.5, en;q=0.8")), Lang::En);
        assert_eq!(Lang::negotiate(Some("de, fr-CA;q=0.7, *;q=0.1")), Lang::Fr);
        // Ties go to the first listed.
        assert_eq!(Lang::negotiate(Some("fr, en")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("en, fr")), Lang::En);
        // q=0 means "not acceptable".
        assert_eq!(Lang::negotiate(Some("fr;q=0, en;q=0.1")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr;q=0")), Lang::En);
        // Case and whitespace.
        assert_eq!(Lang::negotiate(Some("  FR-be ; Q=0.9 ")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("fr;q=0.001")), Lang::Fr);
    }

    #[test]
    fn malformed_q_values_are_ignored() {
        assert_eq!(Lang::negotiate(Some("fr;q=2, en;q=0.1")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr;q=abc")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr;q=0.12345")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr;q=1.5")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr;q=1.000")), Lang::Fr);
    }

    #[test]
    fn lang_param_parsing() {
        assert_eq!(Lang::from_param("fr"), Some(Lang::Fr));
        assert_eq!(Lang::from_param("FR"), Some(Lang::Fr));
        assert_eq!(Lang::from_param("fr-CA"), Some(Lang::Fr));
        assert_eq!(Lang::from_param("en"), Some(Lang::En));
        assert_eq!(Lang::from_param("xx"), None);
        assert_eq!(Lang::from_param(""), None);
    }

    #[test]
    fn colorants_and_kinds_are_translated() {
        assert_eq!(colorant_name(Lang::Fr, "yellow"), "Jaune");
        assert_eq!(colorant_name(Lang::En, "Yellow"), "Yellow");
        assert_eq!(colorant_name(Lang::Fr, "photo black"), "photo black");
        assert_eq!(colorant_family("light cyan"), Some(Colorant::Cyan));
        assert_eq!(colorant_family("red"), None);
        assert_eq!(kind_name(Lang::Fr, "wasteToner"), "Récupérateur de toner");
        assert_eq!(kind_name(Lang::En, "someVendorThing"), "someVendorThing");
    }
}
