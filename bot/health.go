package bot

// TwitterState reports whether Twitter has confirmed that the credentials
// are the bot's own account (nothing is polled or posted before), and
// whether Twitter refuses them now; the daemon's readiness check reads it.
func (b *Bot) TwitterState() (verified, refused bool) {
	return b.verified.Load(), b.authBroken.Load()
}
