package sandbox

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium returns the Chromium to drive: $PAYBYTWEET_CHROMIUM, else the
// first of the usual names found on PATH; "" when there is none.
func chromium() string {
	if p := os.Getenv("PAYBYTWEET_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestWebPageInABrowser drives the sandbox's page in headless Chromium as
// cardholders would, and checks what the page shows after each step:
// bob buys and confirms (a receipt, an approved purchase), erin is
// declined, carol links a card from the link the bot sent her and then
// buys, and bob approves on his phone a purchase that waits for it.
// PAYBYTWEET_SCREENSHOT=file.png saves the page at the end.
func TestWebPageInABrowser(t *testing.T) {
	chrome := chromium()
	if chrome == "" {
		t.Skip("SKIPPED: no Chromium found (Debian package chromium, or set PAYBYTWEET_CHROMIUM); .ci/run installs it, so CI runs this test")
	}
	s, _ := startServing(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chrome), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
	)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(alloc)
	defer cancelCtx()
	// The first action starts the browser, which lives as long as ctx.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium %s: %v", chrome, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// clickThrough clicks what leads to another page and waits for that
	// page: the old one is marked first, so that it cannot pass for it.
	clickThrough := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.SetAttributeValue(chromedp.CSS("body"), "data-old-page", "1"),
			chromedp.Click(chromedp.CSS(sel)),
			chromedp.WaitVisible(chromedp.CSS("body:not([data-old-page])")),
		)
	}
	// send types text as the cardholder and sends it the way mode says;
	// the page comes back once the bot has answered.
	send := func(as, mode, text string) {
		t.Helper()
		run("send "+text+" as "+as,
			chromedp.Navigate(s.webURL+"/?as="+as+"&mode="+mode),
			chromedp.WaitVisible(chromedp.ID("text")),
			chromedp.SetValue(chromedp.ID("text"), text),
			clickThrough("#send .row button"),
		)
	}
	text := func(sel string) string {
		t.Helper()
		run("find "+sel, chromedp.WaitReady(chromedp.CSS(sel)))
		out, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return out
	}
	newestBotTweet := func() string { return text(".tweet.bot .text") }
	confirm := func(as string) {
		t.Helper()
		run("confirm as "+as, clickThrough(`form.actions button`))
	}

	run("open the page", chromedp.Navigate(s.webURL+"/"), chromedp.WaitVisible(chromedp.CSS("table .tag")))
	hashtagsWhole(ctx, t)

	// bob buys, is asked to confirm, confirms, and is charged once.
	send("bob", "tweet", "#BuyKindleFireHD")
	if got := newestBotTweet(); !strings.Contains(got, "@bob") || !strings.Contains(got, "#ConfirmKindleFireHD") || !strings.Contains(got, "2002") {
		t.Fatalf("the bot's answer to bob's buy reads %q; want a request to confirm with his card's digits", got)
	}
	if button := text(`form.actions button`); !strings.Contains(button, "Confirm as @bob") {
		t.Errorf("the confirm button reads %q", button)
	}
	confirm("bob")
	// Over the sandbox's approval threshold: bob is asked to approve it on
	// his phone, which the open page shows by itself, counting down.
	if got := newestBotTweet(); !strings.Contains(got, "@bob") || !strings.Contains(got, "approve it") {
		t.Fatalf("the bot's answer to bob's confirmation reads %q; want him asked to approve it", got)
	}
	run("watch the page as bob", chromedp.Navigate(s.webURL+"/?as=bob"), chromedp.WaitVisible(chromedp.CSS("#phone")))
	if got := text(".phone .approval"); !strings.Contains(got, "@bob") || !strings.Contains(got, "199.00 USD") || !strings.Contains(got, "amount") {
		t.Errorf("the phone reads %q; want bob's purchase of 199.00 USD, asked for its amount", got)
	}
	if got := text(".phone .left"); !regexp.MustCompile(`^[45]m [0-5]\ds$`).MatchString(got) {
		t.Errorf("the time left reads %q", got)
	}
	asked := s.newestID()
	run("approve as bob", clickThrough(".phone .approval button.approve"))
	if got := text(".flash.note"); !strings.Contains(got, "@bob approved purchase") {
		t.Errorf("after Approve the page says %q", got)
	}
	if got := text(".phone .settled"); !strings.Contains(got, "approved") {
		t.Errorf("the phone's settled list reads %q", got)
	}
	if !s.waitUntil(s.ctx, 30*time.Second, func() bool { return s.botSaidAfter(s.people[1], asked, "is charged to your card") }) {
		t.Fatal("no receipt for bob after he approved")
	}
	run("reload", chromedp.Navigate(s.webURL+"/?as=bob"), chromedp.WaitVisible(chromedp.CSS(".tweet")))
	if got := newestBotTweet(); !strings.Contains(got, "is charged to your card") {
		t.Errorf("bob's receipt reads %q", got)
	}
	if got := text(".purchase"); !strings.Contains(got, "@bob") || !strings.Contains(got, "199.00 USD") || !strings.Contains(got, "approved") {
		t.Errorf("the issuer's purchases read %q; want bob's approved purchase", got)
	}

	// erin's card declines: the page says so, and so does the issuer.
	send("erin", "tweet", "#BuyKindleFireHD")
	confirm("erin")
	if got := newestBotTweet(); !strings.Contains(got, "declined") || !strings.Contains(got, "Nothing was charged") {
		t.Errorf("erin's answer reads %q; want a decline", got)
	}
	if got := text(".purchase"); !strings.Contains(got, "@erin") || !strings.Contains(got, "declined (insufficient funds)") {
		t.Errorf("the newest purchase reads %q; want erin's declined one", got)
	}

	// carol has no card: she follows the bot's link, links one, buys.
	send("carol", "tweet", "#BuyKindleFireHD")
	if got := newestBotTweet(); !strings.Contains(got, "link your card") {
		t.Fatalf("the bot's answer to carol reads %q; want how to link a card", got)
	}
	run("follow the bot's link", clickThrough(`.tweet.bot .text a[href*="/link-card"]`))
	linkPage := text(".linkpage")
	run("link a card", clickThrough(`.linkpage form input[value="carol"] ~ button`))
	if !strings.Contains(linkPage, "link your card to Twitter") {
		t.Errorf("the link page reads %q", linkPage)
	}
	if got := text(".flash.note"); !strings.Contains(got, "carol") {
		t.Errorf("after linking, the page says %q", got)
	}
	send("carol", "tweet", "#BuyKindleFireHD please")
	if got := newestBotTweet(); !strings.Contains(got, "@carol") || !strings.Contains(got, "#ConfirmKindleFireHD") {
		t.Errorf("with a card linked, the bot's answer to carol reads %q; want a request to confirm", got)
	}

	if path := os.Getenv("PAYBYTWEET_SCREENSHOT"); path != "" {
		run("show the page", chromedp.Navigate(s.webURL+"/?as=carol"), chromedp.WaitVisible(chromedp.CSS(".tweet")))
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("saved a screenshot of the page to %s", path)
	}
}

// hashtagsWhole checks that the offers table on the page in ctx keeps
// each hashtag whole: a hashtag broken inside reads as two words, and a
// person would type it so. An inline element has one box per line it is
// on.
func hashtagsWhole(ctx context.Context, t *testing.T) {
	t.Helper()
	lines, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]int](
		`Object.fromEntries([...document.querySelectorAll('table .tag')].map(e => [e.textContent, e.getClientRects().length]))`))
	if err != nil || len(lines) == 0 {
		t.Fatalf("the offers table's hashtags: %v, %v", lines, err)
	}
	for tag, n := range lines {
		if n != 1 {
			t.Errorf("the offers table shows %s on %d lines, want 1", tag, n)
		}
	}
}
