//! The FIXT.1.1 session under Coinbase order entry, sans-IO
//! (`docs/protocols/coinbase-fix.md` §Session): message sequence numbers
//! both ways, the Logon exchange, Heartbeat and TestRequest on the
//! negotiated interval, gaps asked for again with ResendRequest,
//! SequenceReset in both modes, session-level Reject, and Logout from
//! either side. Time is an argument; the caller moves the bytes.
//!
//! Gaps: a message past the expected number is taken at once (its
//! content is never held back: fills are counted once by the ledger,
//! however often they arrive), and the numbers skipped are asked for
//! again. What the venue sends again comes with PossDupFlag and is
//! handed on once more; a SequenceReset-GapFill covers what it will not
//! send. Coinbase's documentation disagrees on whether it honours a
//! ResendRequest: if it refuses one (Reject naming it) or answers nothing
//! within a heartbeat interval, [`Event::Gap`] tells the engine which
//! numbers are lost, and the engine asks for the state of its orders
//! instead.
//!
//! The venue asking this client to send again is answered with a
//! SequenceReset-GapFill over everything it asks for: an order is never
//! sent twice, however late.

use core::ops::Range;

use super::fix::{FixError, Message, Overflow, parse_uint, tag};
use super::order::header;

/// The longest TestReqID (112) kept to echo.
pub const TEST_REQ_ID_CAP: usize = 32;

/// Where the session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The Logon is sent; the venue's has not come.
    LoggingOn,
    /// Logged on: orders may go.
    Active,
    /// This side sent Logout and waits for the venue's.
    LoggingOut,
    /// Over: drop the connection.
    Closed,
}

/// What a message from the venue meant to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// Nothing for the engine (an admin message the session handled).
    None,
    /// The venue accepted the Logon.
    LoggedOn,
    /// A business message for the venue's codec (ExecutionReport,
    /// OrderCancelReject, BusinessMessageReject, …).
    Application(Message<'a>),
    /// Messages `range` will not come: the venue refused to send them
    /// again, or did not within a heartbeat interval.
    Gap(Range<u64>),
    /// The venue rejected message `ref_seq` at the session level.
    Rejected {
        /// RefSeqNum (45).
        ref_seq: u64,
        /// SessionRejectReason (373), when given.
        reason: Option<u64>,
        /// Text (58).
        text: Option<&'a [u8]>,
    },
    /// The venue logged the session out (refused logon, weekly or deploy
    /// logout): reconnect.
    LoggedOut(Option<&'a [u8]>),
}

/// The session cannot go on: drop the connection (after sending what
/// [`Session::poll_admin`] still has, a Logout saying why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionError {
    /// The message broke a rule of the field level.
    Fix(FixError),
    /// MsgSeqNum lower than expected without PossDupFlag.
    SeqTooLow {
        /// The number expected.
        expected: u64,
        /// The number received.
        received: u64,
    },
    /// The first message was not a Logon.
    NotLoggedOn,
    /// A SequenceReset that would move the inbound number back.
    ResetBackwards,
    /// Nothing from the venue for two heartbeat intervals, despite a
    /// TestRequest.
    TimedOut,
}

impl From<FixError> for SessionError {
    fn from(e: FixError) -> Self {
        Self::Fix(e)
    }
}

/// An admin message the session owes the venue.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owed {
    Heartbeat(heapless::Vec<u8, TEST_REQ_ID_CAP>),
    TestRequest(u64),
    ResendRequest(Range<u64>),
    GapFill { begin: u64, new_seq: u64 },
    Logout(&'static str),
}

/// A ResendRequest in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resend {
    /// Numbers still missing.
    missing: Range<u64>,
    /// Our ResendRequest's MsgSeqNum (a Reject naming it is a refusal).
    asked_as: Option<u64>,
    /// When it was sent, ns.
    asked_at: u64,
}

/// One FIX session's numbers and timers.
#[derive(Debug, Clone)]
pub struct Session {
    state: State,
    next_out: u64,
    next_in: u64,
    heartbeat_ns: u64,
    last_sent: u64,
    last_received: u64,
    /// Our TestRequest awaiting its Heartbeat: (id, sent at).
    test_request: Option<(u64, u64)>,
    resend: Option<Resend>,
    owed: heapless::Deque<Owed, 8>,
}

impl Session {
    /// A session about to log on at `now` (ns) with HeartBtInt
    /// `heartbeat_secs`; both sequences start at 1.
    pub fn new(now: u64, heartbeat_secs: u8) -> Self {
        Self::resume(now, heartbeat_secs, 1, 1)
    }

    /// A session about to log on again without resetting its numbers
    /// (ResetSeqNumFlag N): ours go on from `next_out`, the venue's are
    /// expected from `next_in`, and whatever the venue numbered in between
    /// is asked for again as the Logon's gap.
    pub fn resume(now: u64, heartbeat_secs: u8, next_out: u64, next_in: u64) -> Self {
        Self {
            state: State::LoggingOn,
            next_out,
            next_in,
            heartbeat_ns: u64::from(heartbeat_secs.max(1)) * 1_000_000_000,
            last_sent: now,
            last_received: now,
            test_request: None,
            resend: None,
            owed: heapless::Deque::new(),
        }
    }

    /// Where the session stands.
    pub fn state(&self) -> State {
        self.state
    }

    /// The MsgSeqNum the next message takes.
    pub fn next_out(&self) -> u64 {
        self.next_out
    }

    /// The MsgSeqNum expected next from the venue.
    pub fn next_in(&self) -> u64 {
        self.next_in
    }

    /// Whether messages the venue numbered are still asked for again: what
    /// they say is not known yet.
    pub fn resending(&self) -> bool {
        self.resend.is_some()
    }

    /// Takes the next outbound MsgSeqNum for a message sent at `now`.
    pub fn take_seq(&mut self, now: u64) -> u64 {
        let seq = self.next_out;
        self.next_out += 1;
        self.last_sent = now;
        seq
    }

    /// Reads one message from the venue, received at `now`.
    pub fn on_message<'a>(&mut self, now: u64, m: &Message<'a>) -> Result<Event<'a>, SessionError> {
        self.last_received = now;
        self.test_request = None;
        let seq = m.seq()?;
        let ty = m.msg_type();
        if self.state == State::LoggingOn && ty != b"A" && ty != b"5" {
            return Err(SessionError::NotLoggedOn);
        }
        // SequenceReset-Reset (no GapFillFlag) ignores MsgSeqNum itself.
        if ty == b"4" && m.get(tag::GAP_FILL_FLAG) != Some(b"Y") {
            let new = m.uint(tag::NEW_SEQ_NO)?;
            if new < self.next_in {
                return Err(SessionError::ResetBackwards);
            }
            self.next_in = new;
            self.fill_missing(seq..new);
            return Ok(Event::None);
        }
        if seq < self.next_in {
            let asked = self.resend.as_ref().is_some_and(|r| r.missing.contains(&seq));
            if !m.poss_dup() {
                self.owe(Owed::Logout("MsgSeqNum too low"));
                self.state = State::LoggingOut;
                return Err(SessionError::SeqTooLow { expected: self.next_in, received: seq });
            }
            if !asked {
                return Ok(Event::None);
            }
            if ty == b"4" {
                let new = m.uint(tag::NEW_SEQ_NO)?;
                self.fill_missing(seq..new);
                return Ok(Event::None);
            }
            self.fill_missing(seq..seq + 1);
            return self.by_type(m);
        }
        if seq > self.next_in {
            let missing = self.next_in..seq;
            match &mut self.resend {
                Some(r) => r.missing.end = seq,
                None => {
                    self.owe(Owed::ResendRequest(missing.clone()));
                    self.resend = Some(Resend { missing, asked_as: None, asked_at: now });
                }
            }
        }
        self.next_in = seq + 1;
        if ty == b"4" {
            let new = m.uint(tag::NEW_SEQ_NO)?;
            if new > self.next_in {
                self.next_in = new;
            }
            return Ok(Event::None);
        }
        self.by_type(m)
    }

    fn by_type<'a>(&mut self, m: &Message<'a>) -> Result<Event<'a>, SessionError> {
        match m.msg_type() {
            b"A" => {
                if self.state != State::LoggingOn {
                    return Ok(Event::None);
                }
                if let Some(secs) = m.get(tag::HEART_BT_INT).and_then(parse_uint) {
                    self.heartbeat_ns = secs.clamp(1, 3600) * 1_000_000_000;
                }
                self.state = State::Active;
                Ok(Event::LoggedOn)
            }
            b"0" => Ok(Event::None),
            b"1" => {
                let id = m.get(tag::TEST_REQ_ID).unwrap_or_default();
                let id = heapless::Vec::from_slice(id.get(..id.len().min(TEST_REQ_ID_CAP)).unwrap_or_default())
                    .unwrap_or_default();
                self.owe(Owed::Heartbeat(id));
                Ok(Event::None)
            }
            b"2" => {
                let begin = m.uint(tag::BEGIN_SEQ_NO)?;
                if begin < self.next_out {
                    self.owe(Owed::GapFill { begin, new_seq: self.next_out });
                }
                Ok(Event::None)
            }
            b"3" => {
                let ref_seq = m.uint(tag::REF_SEQ_NUM)?;
                let refused = self.resend.as_ref().filter(|r| r.asked_as == Some(ref_seq)).map(|r| r.missing.clone());
                if let Some(lost) = refused {
                    self.resend = None;
                    return Ok(Event::Gap(lost));
                }
                let reason = m.get(tag::SESSION_REJECT_REASON).and_then(parse_uint);
                Ok(Event::Rejected { ref_seq, reason, text: m.get(tag::TEXT) })
            }
            b"5" => {
                if self.state != State::LoggingOut {
                    self.owe(Owed::Logout(""));
                }
                self.state = State::Closed;
                Ok(Event::LoggedOut(m.get(tag::TEXT)))
            }
            _ => Ok(Event::Application(*m)),
        }
    }

    /// Numbers in `filled` arrived or were gap-filled.
    fn fill_missing(&mut self, filled: Range<u64>) {
        if let Some(r) = &mut self.resend {
            if filled.start <= r.missing.start && filled.end > r.missing.start {
                r.missing.start = filled.end.min(r.missing.end);
            }
            if r.missing.is_empty() {
                self.resend = None;
            }
        }
    }

    fn owe(&mut self, owed: Owed) {
        // A full queue means the venue floods TestRequests or
        // ResendRequests; what is already owed answers them.
        let _ = self.owed.push_back(owed);
    }

    /// Starts a Logout saying `text`.
    pub fn logout(&mut self, text: &'static str) {
        if matches!(self.state, State::Active | State::LoggingOn) {
            self.owe(Owed::Logout(text));
            self.state = State::LoggingOut;
        }
    }

    /// When [`poll_admin`](Self::poll_admin) has something to send, or the
    /// connection times out, at the latest.
    pub fn deadline(&self) -> Option<u64> {
        if self.state == State::Closed {
            return None;
        }
        let beat = self.last_sent + self.heartbeat_ns;
        let quiet = match self.test_request {
            Some((_, sent)) => sent + self.heartbeat_ns,
            None => self.last_received + self.heartbeat_ns + self.heartbeat_ns / 5,
        };
        let resend = self.resend.as_ref().map_or(u64::MAX, |r| r.asked_at + self.heartbeat_ns);
        Some(beat.min(quiet).min(resend))
    }

    /// Checks the timers at `now`: owes a Heartbeat when nothing was sent
    /// for an interval, a TestRequest when nothing came for one and a
    /// fifth; fails when even that went unanswered for an interval.
    /// Returns the numbers a ResendRequest asked for in vain.
    pub fn on_timeout(&mut self, now: u64) -> Result<Option<Range<u64>>, SessionError> {
        if self.state == State::Closed {
            return Ok(None);
        }
        match self.test_request {
            Some((_, sent)) if now >= sent + self.heartbeat_ns => return Err(SessionError::TimedOut),
            None if now >= self.last_received + self.heartbeat_ns + self.heartbeat_ns / 5 => {
                self.test_request = Some((now, now));
                self.owe(Owed::TestRequest(now));
            }
            _ => {}
        }
        if now >= self.last_sent + self.heartbeat_ns && self.owed.is_empty() {
            self.owe(Owed::Heartbeat(heapless::Vec::new()));
        }
        if let Some(r) = &self.resend
            && r.asked_as.is_some()
            && now >= r.asked_at + self.heartbeat_ns
        {
            let lost = r.missing.clone();
            self.resend = None;
            return Ok(Some(lost));
        }
        Ok(None)
    }

    /// Renders the next admin message owed, from `api_key` at `now`, into
    /// `buf`; the message is `buf[range]`.
    pub fn poll_admin(&mut self, now: u64, api_key: &str, buf: &mut [u8]) -> Option<Result<Range<usize>, Overflow>> {
        let owed = self.owed.pop_front()?;
        Some(self.render(now, api_key, &owed, buf))
    }

    fn render(&mut self, now: u64, api_key: &str, owed: &Owed, buf: &mut [u8]) -> Result<Range<usize>, Overflow> {
        match owed {
            Owed::Heartbeat(id) => {
                let seq = self.take_seq(now);
                let mut w = header(buf, b"0", api_key, seq, now);
                if !id.is_empty() {
                    w.field(tag::TEST_REQ_ID, id);
                }
                w.finish()
            }
            Owed::TestRequest(id) => {
                let seq = self.take_seq(now);
                let mut w = header(buf, b"1", api_key, seq, now);
                w.uint(tag::TEST_REQ_ID, *id);
                w.finish()
            }
            Owed::ResendRequest(missing) => {
                let seq = self.take_seq(now);
                if let Some(r) = &mut self.resend {
                    r.asked_as = Some(seq);
                    r.asked_at = now;
                }
                let mut w = header(buf, b"2", api_key, seq, now);
                w.uint(tag::BEGIN_SEQ_NO, missing.start).uint(tag::END_SEQ_NO, missing.end - 1);
                w.finish()
            }
            Owed::GapFill { begin, new_seq } => {
                // A gap fill takes the number it replaces, not a new one.
                self.last_sent = now;
                let mut w = header(buf, b"4", api_key, *begin, now);
                w.field(tag::POSS_DUP_FLAG, b"Y").field(tag::GAP_FILL_FLAG, b"Y").uint(tag::NEW_SEQ_NO, *new_seq);
                w.finish()
            }
            Owed::Logout(text) => {
                let seq = self.take_seq(now);
                let mut w = header(buf, b"5", api_key, seq, now);
                if !text.is_empty() {
                    w.field(tag::TEXT, text.as_bytes());
                }
                w.finish()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::coinbase::fix::Writer;

    const S: u64 = 1_000_000_000;

    /// A message from the venue: `msg_type`, `seq`, then `fields`.
    fn venue<'b>(buf: &'b mut [u8; 512], msg_type: &[u8], seq: u64, fields: &[(u32, &[u8])]) -> Message<'b> {
        let mut w = Writer::new(buf, msg_type);
        w.uint(tag::MSG_SEQ_NUM, seq).field(tag::SENDER_COMP_ID, b"Coinbase");
        for (t, v) in fields {
            w.field(*t, v);
        }
        let r = w.finish().unwrap();
        Message::parse(&buf[r]).unwrap().unwrap().0
    }

    /// Every admin message owed, as (MsgType, MsgSeqNum, a field).
    fn drain(s: &mut Session, now: u64, field: u32) -> heapless::Vec<(u8, u64, Option<u64>), 8> {
        let mut out = heapless::Vec::new();
        let mut buf = [0u8; 512];
        while let Some(r) = s.poll_admin(now, "key", &mut buf) {
            let (m, _) = Message::parse(&buf[r.unwrap()]).unwrap().unwrap();
            out.push((m.msg_type()[0], m.seq().unwrap(), m.get(field).and_then(parse_uint))).unwrap();
        }
        out
    }

    fn logged_on(now: u64) -> Session {
        let mut s = Session::new(now, 10);
        assert_eq!(s.take_seq(now), 1);
        let mut b = [0u8; 512];
        let m = venue(&mut b, b"A", 1, &[(tag::HEART_BT_INT, b"10")]);
        assert_eq!(s.on_message(now, &m), Ok(Event::LoggedOn));
        s
    }

    #[test]
    fn logon_then_business_messages_in_order() {
        let mut s = logged_on(0);
        assert_eq!(s.state(), State::Active);
        let mut b = [0u8; 512];
        let m = venue(&mut b, b"8", 2, &[]);
        assert!(matches!(s.on_message(S, &m), Ok(Event::Application(_))));
        assert_eq!(s.next_in(), 3);
    }

    #[test]
    fn anything_but_a_logon_first_is_refused() {
        let mut s = Session::new(0, 10);
        let mut b = [0u8; 512];
        let m = venue(&mut b, b"8", 1, &[]);
        assert_eq!(s.on_message(0, &m), Err(SessionError::NotLoggedOn));
        let m = venue(&mut b, b"5", 1, &[(tag::TEXT, b"Invalid signature")]);
        let mut s = Session::new(0, 10);
        assert_eq!(s.on_message(0, &m), Ok(Event::LoggedOut(Some(&b"Invalid signature"[..]))));
        assert_eq!(s.state(), State::Closed);
    }

    #[test]
    fn heartbeats_when_idle_and_a_test_request_when_the_venue_is_quiet() {
        let mut s = logged_on(0);
        assert_eq!(s.deadline(), Some(10 * S));
        assert_eq!(s.on_timeout(10 * S), Ok(None));
        assert_eq!(drain(&mut s, 10 * S, tag::TEST_REQ_ID).as_slice(), &[(b'0', 2, None)]);
        assert_eq!(s.on_timeout(12 * S), Ok(None));
        let owed = drain(&mut s, 12 * S, tag::TEST_REQ_ID);
        assert_eq!(owed.as_slice(), &[(b'1', 3, Some(12 * S))]);
        // Answered: the timer starts again.
        let mut b = [0u8; 512];
        let m = venue(&mut b, b"0", 2, &[(tag::TEST_REQ_ID, b"12000000000")]);
        assert_eq!(s.on_message(13 * S, &m), Ok(Event::None));
        assert_eq!(s.on_timeout(14 * S), Ok(None));
        // Unanswered: the session is over one interval after asking.
        assert_eq!(s.on_timeout(25 * S + S / 2), Ok(None));
        let _ = drain(&mut s, 25 * S, 0);
        assert_eq!(s.on_timeout(36 * S), Err(SessionError::TimedOut));
    }

    #[test]
    fn a_test_request_is_answered_with_its_id() {
        let mut s = logged_on(0);
        let mut b = [0u8; 512];
        let m = venue(&mut b, b"1", 2, &[(tag::TEST_REQ_ID, b"77")]);
        assert_eq!(s.on_message(S, &m), Ok(Event::None));
        assert_eq!(drain(&mut s, S, tag::TEST_REQ_ID).as_slice(), &[(b'0', 2, Some(77))]);
    }

    #[test]
    fn a_resumed_session_asks_for_what_the_venue_sent_while_it_was_away() {
        // The last connection sent 1..=4 and read the venue's 1..=5.
        let mut s = Session::resume(0, 10, 5, 6);
        assert_eq!(s.take_seq(0), 5, "the Logon goes on from the last number");
        let mut b = [0u8; 512];
        // The venue numbered 6 and 7 while no connection was up.
        let m = venue(&mut b, b"A", 8, &[(tag::HEART_BT_INT, b"10")]);
        assert_eq!(s.on_message(S, &m), Ok(Event::LoggedOn));
        assert_eq!(drain(&mut s, S, tag::BEGIN_SEQ_NO).as_slice(), &[(b'2', 6, Some(6))]);
        let m = venue(&mut b, b"8", 6, &[(tag::POSS_DUP_FLAG, b"Y")]);
        assert!(matches!(s.on_message(S, &m), Ok(Event::Application(_))), "the lost report is handed on");
        let m = venue(&mut b, b"8", 7, &[(tag::POSS_DUP_FLAG, b"Y")]);
        assert!(matches!(s.on_message(S, &m), Ok(Event::Application(_))));
        assert_eq!(s.on_timeout(20 * S).map(|lost| lost.is_some()), Ok(false), "nothing left missing");
    }

    #[test]
    fn a_gap_is_asked_for_and_filled_by_resent_messages_and_a_gap_fill() {
        let mut s = logged_on(0);
        let mut b = [0u8; 512];
        let m = venue(&mut b, b"8", 6, &[]);
        assert!(matches!(s.on_message(S, &m), Ok(Event::Application(_))));
        assert_eq!(s.next_in(), 7);
        assert_eq!(drain(&mut s, S, tag::BEGIN_SEQ_NO).as_slice(), &[(b'2', 2, Some(2))]);
        // Resent: 2 and 3 as PossDup, then a gap fill over 4..6.
        for seq in [2, 3] {
            let m = venue(&mut b, b"8", seq, &[(tag::POSS_DUP_FLAG, b"Y")]);
            assert!(matches!(s.on_message(S, &m), Ok(Event::Application(_))), "{seq}");
        }
        let m =
            venue(&mut b, b"4", 4, &[(tag::POSS_DUP_FLAG, b"Y"), (tag::GAP_FILL_FLAG, b"Y"), (tag::NEW_SEQ_NO, b"6")]);
        assert_eq!(s.on_message(S, &m), Ok(Event::None));
        // Nothing missing: a stale duplicate is dropped, time-outs report nothing lost.
        let m = venue(&mut b, b"8", 3, &[(tag::POSS_DUP_FLAG, b"Y")]);
        assert_eq!(s.on_message(S, &m), Ok(Event::None));
        assert_eq!(s.on_timeout(20 * S).map(|lost| lost.is_some()), Ok(false));
    }

    #[test]
    fn a_refused_resend_reports_the_gap() {
        let mut s = logged_on(0);
        let mut b = [0u8; 512];
        let m = venue(&mut b, b"8", 4, &[]);
        let _ = s.on_message(S, &m);
        assert_eq!(drain(&mut s, S, tag::END_SEQ_NO).as_slice(), &[(b'2', 2, Some(3))]);
        let m = venue(&mut b, b"3", 5, &[(tag::REF_SEQ_NUM, b"2"), (tag::TEXT, b"Resend not supported")]);
        assert_eq!(s.on_message(S, &m), Ok(Event::Gap(2..4)));
        // Silence instead of a refusal: the gap is reported a heartbeat later.
        let mut s = logged_on(0);
        let m = venue(&mut b, b"8", 3, &[]);
        let _ = s.on_message(S, &m);
        let _ = drain(&mut s, S, 0);
        assert_eq!(s.on_timeout(11 * S), Ok(Some(2..3)));
    }

    #[test]
    fn a_low_number_without_poss_dup_ends_the_session() {
        let mut s = logged_on(0);
        let mut b = [0u8; 512];
        let m = venue(&mut b, b"8", 1, &[]);
        assert_eq!(s.on_message(S, &m), Err(SessionError::SeqTooLow { expected: 2, received: 1 }));
        assert_eq!(drain(&mut s, S, 0).as_slice(), &[(b'5', 2, None)]);
    }

    #[test]
    fn sequence_reset_moves_forward_only() {
        let mut s = logged_on(0);
        let mut b = [0u8; 512];
        let m = venue(&mut b, b"4", 99, &[(tag::NEW_SEQ_NO, b"40")]);
        assert_eq!(s.on_message(S, &m), Ok(Event::None));
        assert_eq!(s.next_in(), 40);
        let m = venue(&mut b, b"4", 1, &[(tag::NEW_SEQ_NO, b"10")]);
        assert_eq!(s.on_message(S, &m), Err(SessionError::ResetBackwards));
    }

    #[test]
    fn the_venue_asking_again_gets_a_gap_fill_not_old_orders() {
        let mut s = logged_on(0);
        for _ in 0..4 {
            s.take_seq(0);
        }
        let mut b = [0u8; 512];
        let m = venue(&mut b, b"2", 2, &[(tag::BEGIN_SEQ_NO, b"2"), (tag::END_SEQ_NO, b"0")]);
        assert_eq!(s.on_message(S, &m), Ok(Event::None));
        assert_eq!(drain(&mut s, S, tag::NEW_SEQ_NO).as_slice(), &[(b'4', 2, Some(6))]);
        assert_eq!(s.next_out(), 6);
    }

    #[test]
    fn logout_both_ways() {
        let mut s = logged_on(0);
        let mut b = [0u8; 512];
        let m = venue(&mut b, b"5", 2, &[(tag::TEXT, b"Weekly maintenance")]);
        assert_eq!(s.on_message(S, &m), Ok(Event::LoggedOut(Some(&b"Weekly maintenance"[..]))));
        assert_eq!(drain(&mut s, S, 0).as_slice(), &[(b'5', 2, None)]);
        let mut s = logged_on(0);
        s.logout("bye");
        assert_eq!(drain(&mut s, S, 0).as_slice(), &[(b'5', 2, None)]);
        let m = venue(&mut b, b"5", 2, &[]);
        assert_eq!(s.on_message(S, &m), Ok(Event::LoggedOut(None)));
        assert_eq!(s.state(), State::Closed);
        assert_eq!(drain(&mut s, S, 0).len(), 0);
    }
}
