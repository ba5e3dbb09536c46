//! The three layers of a verdict: reason, triage category and action (see `taxonomy.md`).

named_enum! {
    /// What the receiving side said: the corpus' 36-name vocabulary.
    #[derive(Default)]
    Reason {
        /// The local part does not exist.
        UserUnknown = "userunknown",
        /// The mailbox moved and mail is not forwarded.
        HasMoved = "hasmoved",
        /// The account exists but is disabled, suspended or inactive.
        Suspend = "suspend",
        /// The recipient is over quota.
        MailboxFull = "mailboxfull",
        /// The recipient domain does not exist or has no MX nor address records.
        HostUnknown = "hostunknown",
        /// The domain accepts no mail (null MX).
        NotAccept = "notaccept",
        /// The recipient's own filter or settings refused the mail.
        Filtered = "filtered",
        /// The envelope sender address or domain was refused.
        Rejected = "rejected",
        /// The sending IP or host was refused (blocklists, client host rejected).
        Blocked = "blocked",
        /// Refused for the sending IP's or domain's low reputation.
        BadReputation = "badreputation",
        /// Missing or mismatched reverse DNS of the sending IP.
        RequirePtr = "requireptr",
        /// SPF, DKIM or DMARC failed or is missing.
        AuthFailure = "authfailure",
        /// Another security requirement: SMTP AUTH, certificates.
        SecurityError = "securityerror",
        /// TLS could not be negotiated or is required.
        FailedStartTls = "failedstarttls",
        /// A local policy refused the message.
        PolicyViolation = "policyviolation",
        /// The content was judged to be spam.
        SpamDetected = "spamdetected",
        /// A virus scanner refused the message.
        VirusDetected = "virusdetected",
        /// The message format or headers were refused.
        ContentError = "contenterror",
        /// The message breaks RFC 5322.
        NotCompliantRfc = "notcompliantrfc",
        /// The message is larger than the receiver accepts.
        MesgTooBig = "mesgtoobig",
        /// A limit on the message was exceeded.
        ExceedLimit = "exceedlimit",
        /// Sending too fast: rate limited.
        Speeding = "speeding",
        /// Too many connections or concurrent sessions.
        TooManyConn = "toomanyconn",
        /// The server refused to relay.
        NoRelaying = "norelaying",
        /// Connection, routing or DNS trouble on the way, loops.
        NetworkError = "networkerror",
        /// Delivery gave up after retries.
        Expired = "expired",
        /// The remote system failed internally.
        SystemError = "systemerror",
        /// The remote disk or spool is full.
        SystemFull = "systemfull",
        /// The local delivery program failed.
        MailerError = "mailererror",
        /// The remote did not understand an SMTP command.
        SyntaxError = "syntaxerror",
        /// The bounce says too little to decide yet.
        OnHold = "onhold",
        /// No rule could decide.
        #[default]
        Undefined = "undefined",
        /// The sending service refused: the address is on its own suppression list.
        Suppressed = "suppressed",
        /// A success DSN.
        Delivered = "delivered",
        /// An auto-reply.
        Vacation = "vacation",
        /// A complaint report.
        Feedback = "feedback",
    }
}

named_enum! {
    /// Which layer holds the problem: the seed's triage classes.
    #[derive(Default)]
    Category {
        /// The recipient address does not exist or is disabled.
        InvalidRecipient = "invalid-recipient",
        /// The recipient domain cannot receive mail (NXDOMAIN, null MX, no MX and no A).
        RecipientDomainUnroutable = "recipient-domain-unroutable",
        /// The recipient domain's DNS failed temporarily (SERVFAIL, timeout).
        RecipientDnsTemporary = "recipient-dns-temporary",
        /// Mailbox full or over quota.
        MailboxFull = "mailbox-full",
        /// Rate limit, greylisting or 421.
        RateLimit = "rate-limit",
        /// Too many recipients in one transaction.
        TooManyRecipients = "too-many-recipients",
        /// A provider-wide incident (decided over many messages).
        ProviderIncident = "provider-incident",
        /// Relay denied or wrong route.
        RelayDenied = "relay-denied",
        /// Blocklist or reputation.
        Reputation = "reputation",
        /// SPF, DKIM, DMARC, PTR, TLS or sender DNS.
        SenderAuthentication = "sender-authentication",
        /// SMTP login between the sender's app and its own outbound service.
        SmtpLogin = "smtp-login",
        /// Content rules.
        Content = "content",
        /// A mail loop.
        Loop = "loop",
        /// A malformed message.
        MalformedMessage = "malformed-message",
        /// Transport failures: timeouts, refused connections.
        Transport = "transport",
        /// Local policy or a gateway rule.
        LocalPolicy = "local-policy",
        /// A delayed DSN: delivery still being retried.
        DelayedDsn = "delayed-dsn",
        /// A complaint report.
        Complaint = "complaint",
        /// An auto-reply.
        AutoReply = "auto-reply",
        /// A success report.
        Delivered = "delivered",
        /// Not decided.
        #[default]
        Unknown = "unknown",
    }
}

named_enum! {
    /// What to do with the address.
    #[derive(Default)]
    Action {
        /// Suppress the address now.
        Suppress = "suppress",
        /// Suppress once a later attempt confirms the failure.
        SuppressAfterConfirmation = "suppress-after-confirmation",
        /// Count as a soft bounce; suppress after N in a row.
        CountAsSoft = "count-as-soft",
        /// Throttle, retry with backoff, keep the address.
        ThrottleAndRetry = "throttle-and-retry",
        /// Fix MX, transport map, smart host, connector or relay permission.
        FixRouting = "fix-routing",
        /// Pause affected traffic and fix the sender.
        PauseAndFixSender = "pause-and-fix-sender",
        /// Repair SPF, DKIM, DMARC, PTR or TLS before retrying.
        RepairSendingPath = "repair-sending-path",
        /// Fix SMTP credentials or the authentication method.
        FixCredentials = "fix-credentials",
        /// Test a plain version; fix the message.
        FixContent = "fix-content",
        /// Keep the address.
        Keep = "keep",
        /// Collect the full DSN and review.
        #[default]
        Review = "review",
    }
}

named_enum! {
    /// Who must act.
    #[derive(Default)]
    Owner {
        /// The sender (the team running the campaign or application).
        Sender = "sender",
        /// The email service provider.
        Esp = "esp",
        /// The recipient's mail administrator.
        RecipientAdmin = "recipient-admin",
        /// The sender's IT team (routing, relay, DNS).
        It = "it",
        /// Nobody yet: not decided.
        #[default]
        Unknown = "unknown",
    }
}
